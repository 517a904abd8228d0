namespace CallCluster.TestSupport;

/// <summary>Clean-up of the temporary folders tests give their processes, journals and certificates.</summary>
public static class TempDirectory
{
    /// <summary>Deletes <paramref name="path"/> and everything in it when it can: a file still held (a process or a
    /// connection still closing) leaves the folder behind, which is harmless in the temp folder and must not fail the
    /// test that is over.</summary>
    public static void DeleteBestEffort(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
