# Repartir's assemblies live in their own AssemblyLoadContext, so that the versions of its dependencies never
# clash with those PowerShell or other modules load. Only the small loader assembly enters the default context.
$bin = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
Add-Type -Path ([System.IO.Path]::Combine($bin, 'Repartir.Loader.dll'))
Import-Module -Assembly ([Repartir.Loader.ModuleLoadContext]::LoadCmdlets([System.IO.Path]::Combine($bin, 'Repartir.Cmdlets.dll')))
