using System.CommandLine;
using System.Text;
using Repartir.Security;

namespace Repartir.Cli;

/// <summary>
/// The mutual-TLS options <c>repartir run</c> and <c>repartir worker</c> share: --cert, --key, --ca (all three or
/// none) and --insecure. An encrypted key's passphrase comes from REPARTIR_KEY_PASSPHRASE, or from a prompt when
/// the terminal is there to answer it.
/// </summary>
internal sealed class TlsArguments
{
    internal TlsArguments(string role)
    {
        Certificate = new Option<string?>("--cert") { Description = $"This {role}'s certificate (PEM), for mutual TLS; with --key and --ca." };
        Key = new Option<string?>("--key") { Description = $"The private key of --cert (PEM; if encrypted, its passphrase in {PemFiles.PassphraseVariable} or typed at the prompt)." };
        Authority = new Option<string?>("--ca") { Description = $"The CA certificate(s) (PEM) a {(role == "worker" ? "coordinator" : "worker")}'s certificate must chain to." };
        Insecure = new Option<bool>("--insecure") { Description = role == "worker" ? "Serve plain TCP on an address other hosts can reach: anyone who connects can run programs as this user." : "Speak plain TCP to workers on other hosts: anyone on the path can read and change tasks and results." };
    }

    internal Option<string?> Certificate { get; }

    internal Option<string?> Key { get; }

    internal Option<string?> Authority { get; }

    internal Option<bool> Insecure { get; }

    internal IEnumerable<Option> All => [Certificate, Key, Authority, Insecure];

    /// <summary>The paths given, or null when none was; an error when only some were.</summary>
    private bool TryGetPaths(ParseResult parse, out (string Certificate, string Key, string Authority)? paths, out string? error)
    {
        string? certificate = parse.GetValue(Certificate), key = parse.GetValue(Key), authority = parse.GetValue(Authority);
        paths = null;
        error = null;
        if (certificate is null && key is null && authority is null)
        {
            return true;
        }

        if (certificate is null || key is null || authority is null)
        {
            error = $"mutual TLS needs --cert, --key and --ca together; missing {string.Join(", ", new[] { ("--cert", certificate), ("--key", key), ("--ca", authority) }.Where(o => o.Item2 is null).Select(o => o.Item1))}.";
            return false;
        }

        paths = (certificate, key, authority);
        return true;
    }

    /// <summary>
    /// Reads the options and loads the credentials they name (null when none was given). Returns 0, or the exit code
    /// after saying on <paramref name="errors"/> what was wrong: 2 for options given only in part, 1 for a file at fault.
    /// </summary>
    internal int Read(ParseResult parse, TextWriter errors, out TlsCredentials? credentials, out (string Certificate, string Key, string Authority)? paths)
    {
        credentials = null;
        if (!TryGetPaths(parse, out paths, out string? error))
        {
            return CommandLineApp.UsageError(errors, error!);
        }

        try
        {
            credentials = paths is { } given ? Load(given) : null;
            return 0;
        }
        catch (CertificateException e)
        {
            errors.WriteLine("repartir: " + e.Message);
            return 1;
        }
    }

    /// <summary>Loads the credentials from <paramref name="paths"/>; a <see cref="CertificateException"/> names the file at fault.</summary>
    internal static TlsCredentials Load((string Certificate, string Key, string Authority) paths)
    {
        string? passphrase = null;
        if (PemFiles.IsEncrypted(paths.Key) && Environment.GetEnvironmentVariable(PemFiles.PassphraseVariable) is null && !Console.IsInputRedirected)
        {
            passphrase = Prompt($"Passphrase for {paths.Key}: ");
        }

        return TlsCredentials.Load(paths.Certificate, paths.Key, paths.Authority, passphrase);
    }

    private static string Prompt(string question)
    {
        Console.Error.Write(question);
        var typed = new StringBuilder();
        while (Console.ReadKey(intercept: true) is { Key: not ConsoleKey.Enter } key)
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return typed.ToString();
    }
}
