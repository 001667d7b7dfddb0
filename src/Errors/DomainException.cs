namespace CriShim.Errors;

/// <summary>A failure the client caused or must know about. Domain code throws it; only the gRPC layer knows status codes.</summary>
public class DomainException(ErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;

    public static DomainException NotFound(string message) => new(ErrorKind.NotFound, message);
    public static DomainException Invalid(string message) => new(ErrorKind.InvalidArgument, message);
    public static DomainException Exists(string message) => new(ErrorKind.AlreadyExists, message);
    public static DomainException Precondition(string message) => new(ErrorKind.FailedPrecondition, message);
    public static DomainException Unavailable(string message, Exception? inner = null) => new(ErrorKind.Unavailable, message, inner);
}
