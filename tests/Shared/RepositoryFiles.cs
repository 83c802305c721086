namespace Repartir.Testing;

/// <summary>Finds files of the repository (docs, module sources) from the test's output folder.</summary>
internal static class RepositoryFiles
{
    internal static string Root { get; } = FindRoot();

    internal static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Repartir.PowerShell.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Repartir.PowerShell.sln) was not found above " + AppContext.BaseDirectory);
    }
}
