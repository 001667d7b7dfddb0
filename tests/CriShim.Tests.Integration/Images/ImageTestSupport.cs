using System.Text.Json.Nodes;
using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Images;

/// <summary>Shortcuts for the image tests: a daemon that mirrors docker.io to the shared test registry, and pull/status calls.</summary>
static class ImageTestSupport
{
    public static async Task<(TestRegistry Registry, DaemonProcess Daemon)> StartDaemonAsync(Action<JsonObject>? configure = null)
    {
        var registry = await TestRegistry.GetSharedAsync();
        var daemon = await DaemonProcess.StartAsync(config =>
        {
            config["Registry"]!["Mirrors"]!["docker.io"] = new JsonArray($"http://{registry.Host}");
            configure?.Invoke(config);
        });
        return (registry, daemon);
    }

    public static async Task<string> PullAsync(this DaemonProcess daemon, string image, AuthConfig? auth = null)
    {
        var request = new PullImageRequest { Image = new ImageSpec { Image = image } };
        if (auth is not null) request.Auth = auth;
        var response = await daemon.Images.PullImageAsync(request, deadline: DateTime.UtcNow.AddMinutes(2));
        return response.ImageRef;
    }

    public static async Task<Image?> StatusAsync(this DaemonProcess daemon, string image, bool verbose = false) =>
        (await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image }, Verbose = verbose })).Image;

    public static async Task<ImageStatusResponse> VerboseStatusAsync(this DaemonProcess daemon, string image) =>
        await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image }, Verbose = true });

    public static async Task RemoveAsync(this DaemonProcess daemon, string image) =>
        await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image } });

    public static async Task<IReadOnlyList<Image>> ListAsync(this DaemonProcess daemon, string? filter = null)
    {
        var request = new ListImagesRequest();
        if (filter is not null) request.Filter = new ImageFilter { Image = new ImageSpec { Image = filter } };
        return (await daemon.Images.ListImagesAsync(request)).Images;
    }

    /// <summary>The unpacked layer directories of an image, lowest first (from the verbose status).</summary>
    public static async Task<IReadOnlyList<string>> LayerDirsAsync(this DaemonProcess daemon, string image)
    {
        var response = await daemon.VerboseStatusAsync(image);
        var info = JsonNode.Parse(response.Info["info"])!;
        return info["layerDirs"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
    }

    public static async Task<StatusCode> PullFailureAsync(this DaemonProcess daemon, string image, AuthConfig? auth = null)
    {
        try
        {
            await daemon.PullAsync(image, auth);
        }
        catch (RpcException e)
        {
            TestContext.Progress.WriteLine($"pull {image}: {e.Status.StatusCode} {e.Status.Detail}");
            return e.StatusCode;
        }
        Assert.Fail($"pulling {image} should have failed");
        return StatusCode.OK;
    }
}
