using System.Collections;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace CriShim.Bench.Crictl;

/// <summary>
/// A CRI message as the JSON crictl reads (`crictl runp pod.json`): Go's encoding/json into the generated
/// cri-api structs, so proto field names (snake_case), enums and 64-bit integers as numbers, defaults left out.
/// Protobuf's own JSON mapping (camelCase, enum names, int64 as strings) is not understood there. Bytes are
/// written as UTF-8 text: the one bytes field of a config, KeyValue.value (an env value), is a string upstream.
/// </summary>
static class CrictlJson
{
    public static string Write(IMessage message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            WriteMessage(writer, message);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static void WriteMessage(Utf8JsonWriter w, IMessage message)
    {
        w.WriteStartObject();
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var map = (IDictionary)value;
                if (map.Count == 0) continue;
                var valueField = field.MessageType.FindFieldByNumber(2);
                w.WriteStartObject(field.Name);
                foreach (DictionaryEntry entry in map)
                {
                    w.WritePropertyName(Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture)!);
                    WriteValue(w, valueField, entry.Value!);
                }
                w.WriteEndObject();
            }
            else if (field.IsRepeated)
            {
                var list = (IList)value;
                if (list.Count == 0) continue;
                w.WriteStartArray(field.Name);
                foreach (var item in list) WriteValue(w, field, item!);
                w.WriteEndArray();
            }
            else if (!IsDefault(field, value))
            {
                w.WritePropertyName(field.Name);
                WriteValue(w, field, value);
            }
        }
        w.WriteEndObject();
    }

    static bool IsDefault(FieldDescriptor field, object? value) => field.FieldType switch
    {
        FieldType.Message => value is null,
        FieldType.String => (string)value! == "",
        FieldType.Bytes => ((ByteString)value!).IsEmpty,
        FieldType.Bool => !(bool)value!,
        FieldType.Enum => Convert.ToInt64(value) == 0,
        FieldType.Double or FieldType.Float => Convert.ToDouble(value) == 0,
        _ => Convert.ToDecimal(value) == 0,
    };

    static void WriteValue(Utf8JsonWriter w, FieldDescriptor field, object value)
    {
        switch (field.FieldType)
        {
            case FieldType.Message: WriteMessage(w, (IMessage)value); break;
            case FieldType.String: w.WriteStringValue((string)value); break;
            case FieldType.Bool: w.WriteBooleanValue((bool)value); break;
            case FieldType.Bytes: w.WriteStringValue(((ByteString)value).ToStringUtf8()); break;
            case FieldType.Double or FieldType.Float: w.WriteNumberValue(Convert.ToDouble(value)); break;
            case FieldType.UInt64 or FieldType.Fixed64: w.WriteNumberValue(Convert.ToUInt64(value)); break;
            default: w.WriteNumberValue(Convert.ToInt64(value)); break; // int32/64, uint32, sint, fixed32, enums
        }
    }
}
