using System.Runtime.InteropServices;

namespace Appliance.Daemon;

/// <summary>
/// Turns SIGTERM and SIGINT into <see cref="StopRequested"/> and SIGHUP into
/// <see cref="ReloadRequested"/>. The handlers only post: the loop does the work, so a signal
/// never races the state it changes. The default action (terminate) is cancelled.
/// </summary>
public sealed class SignalHandling : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    public SignalHandling(EventLoop loop)
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; loop.Post(new StopRequested("SIGTERM")); }),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; loop.Post(new StopRequested("SIGINT")); }),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; loop.Post(new ReloadRequested("SIGHUP")); }),
        ];
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
