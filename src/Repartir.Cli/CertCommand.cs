using System.CommandLine;
using System.Globalization;
using Repartir.Security;

namespace Repartir.Cli;

/// <summary>
/// <c>repartir cert ca|server|client</c>: the certificates a cluster needs, without knowing openssl. Each writes
/// NAME.pem and NAME.key (the CA: ca.pem and ca.key) into --out, the key readable by its owner only.
/// </summary>
internal static class CertCommand
{
    internal static Command Build(TextWriter errors)
    {
        var command = new Command("cert", "Create a certificate authority and issue worker (server) and coordinator (client) certificates for mutual TLS.");
        command.Subcommands.Add(Kind(CertificateKind.Authority, "ca", "Create the cluster's certificate authority: ca.pem (give it to every worker and coordinator as --ca) and ca.key (keep it safe).", errors));
        command.Subcommands.Add(Kind(CertificateKind.Server, "server", "Issue a worker's certificate, valid for --name and every --san (the names and addresses coordinators dial).", errors));
        command.Subcommands.Add(Kind(CertificateKind.Client, "client", "Issue a coordinator's certificate.", errors));
        return command;
    }

    private static Command Kind(CertificateKind kind, string verb, string description, TextWriter errors)
    {
        var name = new Option<string>("--name")
        {
            Description = kind switch
            {
                CertificateKind.Authority => "The CA's name (default: Repartir CA).",
                CertificateKind.Server => "The worker's host name (or address): its first name, and its files' name.",
                _ => "The coordinator's name, and its files' name.",
            },
            Required = kind != CertificateKind.Authority,
        };
        var directory = new Option<string>("--out") { Description = "Directory to write the files to (default: the current one).", DefaultValueFactory = _ => "." };
        var days = new Option<int?>("--days") { Description = $"Days it is valid (default: {(kind == CertificateKind.Authority ? CertificateIssuer.DefaultAuthorityValidity : CertificateIssuer.DefaultLeafValidity).TotalDays:0})." };
        var force = new Option<bool>("--force") { Description = "Overwrite files that exist." };
        var command = new Command(verb, description) { name, directory, days, force };
        var alternatives = new Option<string[]>("--san") { Description = "Another DNS name or IP address coordinators dial it by; repeat for several.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var authority = new Option<string?>("--ca") { Description = "The CA certificate to sign with (default: ca.pem in --out)." };
        var authorityKey = new Option<string?>("--ca-key") { Description = "The CA's private key (default: ca.key in --out)." };
        if (kind == CertificateKind.Server)
        {
            command.Options.Add(alternatives);
        }

        if (kind != CertificateKind.Authority)
        {
            command.Options.Add(authority);
            command.Options.Add(authorityKey);
        }

        command.SetAction(async parse =>
        {
            int? validDays = parse.GetValue(days);
            if (validDays is < 1 or > 36500)
            {
                return CommandLineApp.UsageError(errors, $"--days must be between 1 and 36500, not {validDays}.");
            }

            var request = new IssuedFiles.Request
            {
                Kind = kind,
                Name = parse.GetValue(name) ?? "Repartir CA",
                Directory = parse.GetValue(directory)!,
                AlternativeNames = kind == CertificateKind.Server ? parse.GetValue(alternatives) ?? [] : [],
                AuthorityPath = parse.GetValue(authority),
                AuthorityKeyPath = parse.GetValue(authorityKey),
                Validity = validDays is { } d ? TimeSpan.FromDays(d) : null,
                Overwrite = parse.GetValue(force),
            };
            try
            {
                IssuedCertificate issued = IssuedFiles.Issue(request, DateTimeOffset.UtcNow);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"{issued.CertificatePath}\n{issued.KeyPath}").ConfigureAwait(false);
                string names = issued.AlternativeNames.Count > 0 ? $", for {string.Join(", ", issued.AlternativeNames)}" : string.Empty;
                await errors.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"repartir: {issued.Subject}{names}, valid until {issued.NotAfter:u}")).ConfigureAwait(false);
                return 0;
            }
            catch (ArgumentException e)
            {
                return CommandLineApp.UsageError(errors, e.Message);
            }
            catch (Exception e) when (e is CertificateException or IOException or UnauthorizedAccessException)
            {
                await errors.WriteLineAsync("repartir: " + e.Message).ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
