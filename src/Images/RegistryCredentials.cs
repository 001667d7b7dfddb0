using System.Security.Cryptography;
using System.Text;

namespace CriShim.Images;

/// <summary>Credentials for one pull, from the CRI AuthConfig: user/password, "auth" (base64 user:pass), or tokens.</summary>
public sealed record RegistryCredentials(string? Username, string? Password, string? IdentityToken = null, string? RegistryToken = null)
{
    public static RegistryCredentials? From(string? username, string? password, string? auth, string? identityToken, string? registryToken)
    {
        if (!string.IsNullOrEmpty(auth) && string.IsNullOrEmpty(username))
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth)); }
            catch (FormatException) { throw new ImageException(ImageErrorKind.Invalid, "auth is not valid base64 of \"user:password\""); }
            var colon = decoded.IndexOf(':');
            if (colon < 0) throw new ImageException(ImageErrorKind.Invalid, "auth must encode \"user:password\"");
            username = decoded[..colon];
            password = decoded[(colon + 1)..];
        }
        var creds = new RegistryCredentials(NullIfEmpty(username), NullIfEmpty(password), NullIfEmpty(identityToken), NullIfEmpty(registryToken));
        return creds is { Username: null, Password: null, IdentityToken: null, RegistryToken: null } ? null : creds;
    }

    public bool HasBasic => Username is not null;

    public string BasicHeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    /// <summary>Tells credentials apart without holding them: a hash of every field ("anonymous" for none).</summary>
    public static string IdentityOf(RegistryCredentials? credentials) => credentials is null ? "anonymous"
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\0', credentials.Username, credentials.Password, credentials.IdentityToken, credentials.RegistryToken))));

    static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    // Never log secrets.
    public override string ToString() => $"RegistryCredentials {{ Username = {Username} }}";
}
