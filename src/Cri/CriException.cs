using Grpc.Core;

namespace CriShim.Cri;

/// <summary>A failure the client caused or must know about, carrying the gRPC code it is answered with.</summary>
public class CriException(StatusCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public StatusCode Code { get; } = code;

    public static CriException NotFound(string message) => new(StatusCode.NotFound, message);
    public static CriException Invalid(string message) => new(StatusCode.InvalidArgument, message);
    public static CriException Exists(string message) => new(StatusCode.AlreadyExists, message);
    public static CriException Precondition(string message) => new(StatusCode.FailedPrecondition, message);
    public static CriException Unavailable(string message, Exception? inner = null) => new(StatusCode.Unavailable, message, inner);
}
