using System.Security.Cryptography;

namespace CriShim;

/// <summary>64-hex-character IDs for pods and containers, as kubelet and crictl expect.</summary>
public static class Ids
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
