using System.Text;
using Spectre.Console;

namespace OrleansDynamo.Cli.Output;

/// <summary>
/// Where one run of <c>dynamo</c> reads and writes: the process's console, or buffers (a test runs the CLI in its own
/// process and reads what it printed). Text goes to <see cref="Out"/> and <see cref="Error"/>; JSON and raw values go
/// to stdout as bytes through <see cref="WriteBytes"/>, after whatever text was written before them.
/// </summary>
public sealed class CliConsole
{
    private readonly Stream _stdout;
    private readonly Func<Stream> _openStdin;

    /// <param name="output">Text for stdout.</param>
    /// <param name="error">Text for stderr.</param>
    /// <param name="stdout">The same stdout as bytes (flushed after <paramref name="output"/>).</param>
    /// <param name="openStdin">Opens stdin as bytes (put VALUE "-").</param>
    /// <param name="outputRedirected">True when stdout is a file or a pipe: plain tables, no colour, no live progress.</param>
    public CliConsole(TextWriter output, TextWriter error, Stream stdout, Func<Stream> openStdin, bool outputRedirected)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(openStdin);
        Out = output;
        Error = error;
        _stdout = stdout;
        _openStdin = openStdin;
        OutputRedirected = outputRedirected;
        Ansi = outputRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Out = new AnsiConsoleOutput(output),
                Interactive = InteractionSupport.No,
            })
            : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // Plain tables without wrapping when stdout is a file or a pipe.
        if (outputRedirected) Ansi.Profile.Width = 240;
    }

    /// <summary>stdout as text.</summary>
    public TextWriter Out { get; }

    /// <summary>stderr as text.</summary>
    public TextWriter Error { get; }

    /// <summary>Tables and markup on stdout.</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>True when stdout is a file or a pipe.</summary>
    public bool OutputRedirected { get; }

    /// <summary>The process's own stdin, stdout and stderr.</summary>
    public static CliConsole ForProcess() =>
        new(Console.Out, Console.Error, Console.OpenStandardOutput(), Console.OpenStandardInput, Console.IsOutputRedirected);

    /// <summary>
    /// A console writing stdout and stderr into the given streams (UTF-8, no byte-order mark), reading stdin from
    /// <paramref name="stdin"/> (empty when null). Tables are plain, as for a pipe.
    /// </summary>
    public static CliConsole ForStreams(Stream stdout, Stream stderr, Stream? stdin = null)
    {
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        return new CliConsole(
            new StreamWriter(stdout, encoding, leaveOpen: true) { AutoFlush = true },
            new StreamWriter(stderr, encoding, leaveOpen: true) { AutoFlush = true },
            stdout,
            () => stdin ?? Stream.Null,
            outputRedirected: true);
    }

    /// <summary>Writes bytes to stdout as they are, after the text written so far.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Out.Flush();
        _stdout.Write(bytes);
        _stdout.Flush();
    }

    /// <summary>One line on stderr starting <c>warning: </c>; the command goes on.</summary>
    public void Warn(string message) => Error.WriteLine("warning: " + message.Trim().ReplaceLineEndings(" "));

    /// <summary>Opens stdin as bytes.</summary>
    public Stream OpenStdin() => _openStdin();
}
