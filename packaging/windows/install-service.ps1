# Installs the published win-x64 dock as a Windows service (run as Administrator). See packaging/README.md.
param(
    [string]$InstallDir = "C:\Program Files\Dock",
    [string]$DataDir = "C:\ProgramData\Dock"
)
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
# Only SYSTEM and Administrators may read the data folder (keys, catalog, vault).
icacls $DataDir /inheritance:r /grant:r "SYSTEM:(OI)(CI)F" "Administrators:(OI)(CI)F" | Out-Null
sc.exe create Dock binPath= "`"$InstallDir\dock.exe`" run --data `"$DataDir`"" start= delayed-auto DisplayName= "Dock (body-worn camera docking station)"
sc.exe failure Dock reset= 86400 actions= restart/5000/restart/5000/restart/60000
sc.exe start Dock
