namespace Repartir.Cmdlets.Commands;

/// <summary>Where each cmdlet's help page lives online (Get-Help -Online), one address per page of docs/cmdlets.</summary>
internal static class HelpUris
{
    internal const string Pages = "https://github.com/repartir/Repartir.PowerShell/blob/main/docs/cmdlets/";
}
