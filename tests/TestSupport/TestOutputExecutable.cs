using System.Diagnostics;

namespace CallCluster.TestSupport;

/// <summary>
/// How a CallCluster app (src/Apps/{app}) referenced by a test project is started from that test's output folder:
/// <c>dotnet exec --depsfile … --runtimeconfig … ccut-{app}.dll args</c>.
/// The child resolves packages with the test project's deps file (the executable's own deps file describes its own
/// build's versions, not what is in this folder), and with the production node's runtime config, whose ASP.NET shared
/// framework supplies packages this folder does not copy.
/// </summary>
public static class TestOutputExecutable
{
    /// <summary>The runtime config the children run with: the production node's (src/Apps/Node), which names the ASP.NET
    /// shared framework and is in the output folder of every test project that starts apps.</summary>
    private const string HostRuntimeConfig = "callcluster-node.runtimeconfig.json";

    private static readonly object AliasLock = new();

    /// <summary>Redirected output, <paramref name="environment"/> added to this process's, working folder the test output.</summary>
    public static ProcessStartInfo StartInfo(string assembly, string args, IReadOnlyDictionary<string, string> environment)
    {
        var dir = AppContext.BaseDirectory;
        var (dll, deps, runtimeConfig) = Aliases(assembly);
        var info = new ProcessStartInfo("dotnet", $"exec --depsfile \"{deps}\" --runtimeconfig \"{runtimeConfig}\" \"{dll}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>
    /// The files a child is started from, under neutral names ("ccut-*": CallCluster under test), copied next to the
    /// originals in this output folder. On a shared development machine other sessions stop their own CallCluster
    /// processes with pattern kills (e.g. <c>pkill -f callcluster-node</c>, which sends SIGTERM); with the original
    /// names on its command line, a process under test was hit by such a signal mid-test. Assembly resolution is
    /// unchanged: same folder, same deps file content, same runtime config.
    /// </summary>
    private static (string Dll, string Deps, string RuntimeConfig) Aliases(string assembly)
    {
        var dir = AppContext.BaseDirectory;
        var alias = (Dll: Path.Combine(dir, $"ccut-{assembly.ToLowerInvariant()}.dll"), Deps: Path.Combine(dir, "ccut.deps.json"),
            RuntimeConfig: Path.Combine(dir, "ccut.runtimeconfig.json"));
        lock (AliasLock)
        {
            Refresh(Path.Combine(dir, AppDll(assembly)), alias.Dll);
            Refresh(TestProjectDepsFile(dir), alias.Deps);
            Refresh(Path.Combine(dir, HostRuntimeConfig), alias.RuntimeConfig);
        }

        return alias;

        static void Refresh(string source, string target)
        {
            if (!File.Exists(target) || File.GetLastWriteTimeUtc(target) != File.GetLastWriteTimeUtc(source) ||
                new FileInfo(target).Length != new FileInfo(source).Length)
            {
                File.Copy(source, target, overwrite: true);
                File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(source));
            }
        }
    }

    /// <summary>The executable of the app in src/Apps/<paramref name="app"/> (the AssemblyName of its project file).</summary>
    private static string AppDll(string app) => app == "Embedded" ? "callcluster.dll" : "callcluster-" + app.ToLowerInvariant() + ".dll";

    /// <summary>The deps file of the test project whose output folder this is: a test project references no other test
    /// project, so its folder holds exactly one <c>*.Tests.deps.json</c>.</summary>
    private static string TestProjectDepsFile(string dir)
    {
        var found = Directory.GetFiles(dir, "*.Tests.deps.json");
        return found.Length == 1
            ? found[0]
            : throw new InvalidOperationException($"expected one *.Tests.deps.json in {dir}, found {found.Length}: {string.Join(", ", found)}");
    }
}
