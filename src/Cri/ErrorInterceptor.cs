using System.Diagnostics;
using CriShim.Errors;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CriShim.Cri;

/// <summary>
/// One place that turns failures into gRPC statuses: typed exceptions map to codes, an unimplemented RPC
/// names itself, anything unexpected is logged and answered Internal so the daemon keeps serving.
/// </summary>
public sealed class ErrorInterceptor(ILogger<ErrorInterceptor> log, Metrics.DaemonMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var method = MethodName(context);
        try
        {
            var response = await continuation(request, context);
            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.RecordCall(method, "OK", elapsed);
            log.LogDebug("{Method} ok in {Ms:F1} ms", method, elapsed.TotalMilliseconds);
            return response;
        }
        catch (Exception e)
        {
            var error = Translate(e, context);
            metrics.RecordCall(method, error.StatusCode.ToString(), Stopwatch.GetElapsedTime(started));
            throw error;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(request, responseStream, context); }
        catch (Exception e) { throw Translate(e, context); }
    }

    static string MethodName(ServerCallContext context) => context.Method[(context.Method.LastIndexOf('/') + 1)..];

    static StatusCode ToStatusCode(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        ErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        ErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ErrorKind.DataLoss => StatusCode.DataLoss,
        ErrorKind.Internal => StatusCode.Internal,
        _ => StatusCode.Unknown,
    };

    RpcException Translate(Exception e, ServerCallContext context)
    {
        var method = MethodName(context);
        var status = e switch
        {
            RpcException { StatusCode: StatusCode.Unimplemented } r when string.IsNullOrEmpty(r.Status.Detail)
                => new Status(StatusCode.Unimplemented, $"{method} is not implemented by crishim"),
            RpcException r => r.Status,
            DomainException d => new Status(ToStatusCode(d.Kind), d.Message),
            OperationCanceledException when context.CancellationToken.IsCancellationRequested
                => new Status(StatusCode.Cancelled, $"{method} cancelled by the client"),
            TimeoutException => new Status(StatusCode.DeadlineExceeded, e.Message),
            ArgumentException => new Status(StatusCode.InvalidArgument, e.Message),
            _ => new Status(StatusCode.Internal, $"{method}: {e.Message}"),
        };
        if (status.StatusCode is StatusCode.Internal or StatusCode.Unknown)
            log.LogError(e, "{Method} failed", context.Method);
        else
            log.LogInformation("{Method} -> {Code}: {Detail}", context.Method, status.StatusCode, status.Detail);
        return new RpcException(status);
    }
}
