# Sourced by the transfer benches (sftp.sh, ftp.sh, smb.sh, s3.sh). With BENCH_AOT=1 our side of the whole run is the
# same bench program compiled ahead of time (NativeAOT) instead of JIT-compiled: the same provider code without .NET's
# JIT and tiering, so the difference between two runs is what the JIT costs a fresh process. The reference tools run
# in both. It is built for .NET 8, whose ILCompiler package carries its own runtime (the package copy here has no
# NativeAOT runtime pack for .NET 10), and it needs a C compiler to link (clang, or gcc as here).
aot_enabled() { [[ ${BENCH_AOT:-} == 1 ]]; }

# aot_publish <bench project directory> <output directory>: prints the path of the native executable.
aot_publish() {
    command -v clang >/dev/null || command -v gcc >/dev/null || { echo "BENCH_AOT=1 needs clang or gcc to link" >&2; exit 1; }
    local name; name=$(basename "$1")
    dotnet publish "$1" -c Release -r linux-x64 -p:PublishAot=true -p:ToolTargetFramework=net8.0 \
        --artifacts-path "$2.build" -o "$2" -nologo -v quiet >&2 || { echo "the NativeAOT build of $name failed" >&2; exit 1; }
    echo "$2/$name"
}

# The name of our side in the rows: "Pipeline", or "Pipeline NativeAOT".
aot_label() { if aot_enabled; then echo "Pipeline NativeAOT"; else echo "Pipeline"; fi; }
