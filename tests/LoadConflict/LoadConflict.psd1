@{
    RootModule        = 'LoadConflict.dll'
    ModuleVersion     = '1.0.0'
    GUID              = 'b7d3e0f1-5c2a-4e8b-9f61-0a4c2d7e9b13'
    RequiredAssemblies = @('Microsoft.Extensions.Logging.Abstractions.dll')
    CmdletsToExport   = @('Get-ConflictingLogger')
    FunctionsToExport = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
