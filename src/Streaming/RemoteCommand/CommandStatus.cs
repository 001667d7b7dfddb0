using System.Text;
using System.Text.Json.Nodes;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>How a session ended: an exit code (exec), or an error; Success when neither says otherwise.</summary>
public sealed record CommandStatus(int ExitCode, string? Error = null)
{
    public static readonly CommandStatus Success = new(0);
    public static CommandStatus Failed(string error) => new(-1, error);
    public bool IsSuccess => ExitCode == 0 && Error is null;

    /// <summary>
    /// The v4 error-stream payload: a JSON metav1.Status. Clients read the exit code from
    /// reason NonZeroExitCode and details.causes[{reason: ExitCode, message: "N"}].
    /// </summary>
    public byte[] ToV4Json()
    {
        var status = new JsonObject { ["metadata"] = new JsonObject() };
        if (IsSuccess)
        {
            status["status"] = "Success";
        }
        else if (Error is null)
        {
            status["status"] = "Failure";
            status["message"] = $"command terminated with non-zero exit code: exit status {ExitCode}";
            status["reason"] = "NonZeroExitCode";
            status["details"] = new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = ExitCode.ToString() }),
            };
        }
        else
        {
            status["status"] = "Failure";
            status["message"] = $"Internal error occurred: {Error}";
            status["reason"] = "InternalError";
            status["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = Error }) };
            status["code"] = 500;
        }
        return Encoding.UTF8.GetBytes(status.ToJsonString());
    }

    /// <summary>The pre-v4 payload: nothing on success, otherwise the error text.</summary>
    public byte[] ToV1Text() => IsSuccess
        ? []
        : Encoding.UTF8.GetBytes(Error ?? $"command terminated with non-zero exit code: exit status {ExitCode}");
}
