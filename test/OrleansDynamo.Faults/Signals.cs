using System.Runtime.InteropServices;

namespace OrleansDynamo.Faults;

/// <summary>POSIX signals to one process by id (kill -9, SIGSTOP, SIGCONT).</summary>
internal static class Signals
{
    public const int Kill = 9;
    public const int Stop = 19;
    public const int Continue = 18;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code; one blittable call does not
    private static extern int SysKill(int pid, int signal);
#pragma warning restore SYSLIB1054

    /// <summary>True when the signal was delivered (false: no such process).</summary>
    public static bool Send(int pid, int signal) => SysKill(pid, signal) == 0;
}
