#!/bin/sh
# The entry point on a machine with only the .NET SDK: installs the pinned PowerShell into .tools/ (an ignored
# folder) when it is missing, then runs build.ps1 with the same arguments in it.
#   ./build.sh -Task Test     every test: xunit, then Pester against the packaged module
#   ./build.sh -Task Demo     builds the module and runs a real fan-out in PowerShell
set -eu
root=$(cd "$(dirname "$0")" && pwd)
tools="$root/.tools"
pwsh_version=7.6.9

if [ ! -d "$tools/.store/powershell/$pwsh_version" ] || [ ! -x "$tools/pwsh" ]; then
    echo "Installing PowerShell $pwsh_version into $tools"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    # `update` installs when the tool is missing and replaces any other version.
    dotnet tool update --tool-path "$tools" PowerShell --version "$pwsh_version" >/dev/null
fi

exec "$tools/pwsh" -NoProfile -NonInteractive -File "$root/build.ps1" "$@"
