namespace CriShim.Images;

/// <summary>One WWW-Authenticate challenge: a scheme ("Bearer", "Basic") and its parameters (realm, service, scope).</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? this[string name] => Parameters.TryGetValue(name, out var v) ? v : null;

    /// <summary>Parses a WWW-Authenticate header value, which may hold several challenges.</summary>
    public static IReadOnlyList<AuthChallenge> Parse(string header)
    {
        var result = new List<AuthChallenge>();
        var i = 0;
        string? scheme = null;
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (i < header.Length)
        {
            while (i < header.Length && (header[i] == ' ' || header[i] == ',')) i++;
            var start = i;
            while (i < header.Length && header[i] != ' ' && header[i] != '=' && header[i] != ',') i++;
            var token = header[start..i];
            if (token.Length == 0) break;
            if (i < header.Length && header[i] == '=')
            {
                i++;
                string value;
                if (i < header.Length && header[i] == '"')
                {
                    i++;
                    var sb = new System.Text.StringBuilder();
                    while (i < header.Length && header[i] != '"')
                    {
                        if (header[i] == '\\' && i + 1 < header.Length) i++;
                        sb.Append(header[i++]);
                    }
                    i++;
                    value = sb.ToString();
                }
                else
                {
                    var vs = i;
                    while (i < header.Length && header[i] != ',') i++;
                    value = header[vs..i].Trim();
                }
                parameters[token] = value;
            }
            else
            {
                if (scheme is not null) result.Add(new AuthChallenge(scheme, parameters));
                scheme = token;
                parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }
        }
        if (scheme is not null) result.Add(new AuthChallenge(scheme, parameters));
        return result;
    }
}
