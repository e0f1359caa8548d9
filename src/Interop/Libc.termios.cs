#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct termios as glibc defines it on Linux (60 bytes on x86_64: c_line, c_cc[32], then the speeds).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct termios
{
    public uint c_iflag;
    public uint c_oflag;
    public uint c_cflag;
    public uint c_lflag;
    public byte c_line;
    public InlineBytes32 c_cc;
    public uint c_ispeed;
    public uint c_ospeed;
}

/// <summary>&lt;termios.h&gt; and the serial-line ioctls of &lt;sys/ioctl.h&gt;: what the peer-link serial port needs.</summary>
public static unsafe partial class Libc
{
    public const int NCCS = 32;

    // Speeds (speed_t) are codes, not baud numbers.
    public const uint B0 = 0x0;
    public const uint B1200 = 0x9;
    public const uint B2400 = 0xB;
    public const uint B4800 = 0xC;
    public const uint B9600 = 0xD;
    public const uint B19200 = 0xE;
    public const uint B38400 = 0xF;
    public const uint B57600 = 0x1001;
    public const uint B115200 = 0x1002;
    public const uint B230400 = 0x1003;

    // c_cflag
    public const uint CSIZE = 0x30;
    public const uint CS7 = 0x20;
    public const uint CS8 = 0x30;
    public const uint CSTOPB = 0x40;
    public const uint CREAD = 0x80;
    public const uint PARENB = 0x100;
    public const uint PARODD = 0x200;
    public const uint HUPCL = 0x400;
    public const uint CLOCAL = 0x800;
    public const uint CRTSCTS = 0x80000000;

    // c_iflag, c_oflag, c_lflag bits cfmakeraw clears (checked by the termios test).
    public const uint ICRNL = 0x100;
    public const uint IXON = 0x400;
    public const uint IXOFF = 0x1000;
    public const uint OPOST = 0x1;
    public const uint ISIG = 0x1;
    public const uint ICANON = 0x2;
    public const uint ECHO = 0x8;

    // c_cc indexes
    public const int VTIME = 5;
    public const int VMIN = 6;

    // tcsetattr actions, tcflush queues
    public const int TCSANOW = 0;
    public const int TCSADRAIN = 1;
    public const int TCSAFLUSH = 2;
    public const int TCIFLUSH = 0;
    public const int TCOFLUSH = 1;
    public const int TCIOFLUSH = 2;

    // Serial ioctls and modem-line bits
    public const ulong TIOCEXCL = 0x540C;
    public const ulong TIOCOUTQ = 0x5411;
    public const ulong TIOCMGET = 0x5415;
    public const ulong TIOCMBIS = 0x5416;
    public const ulong TIOCMBIC = 0x5417;
    public const ulong TIOCMSET = 0x5418;
    public const ulong TIOCINQ = 0x541B;
    public const int TIOCM_LE = 0x001;
    public const int TIOCM_DTR = 0x002;
    public const int TIOCM_RTS = 0x004;
    public const int TIOCM_CTS = 0x020;
    public const int TIOCM_CAR = 0x040;
    public const int TIOCM_CD = TIOCM_CAR;
    public const int TIOCM_RNG = 0x080;
    public const int TIOCM_RI = TIOCM_RNG;
    public const int TIOCM_DSR = 0x100;

    [LibraryImport(Name, SetLastError = true)]
    public static partial int tcgetattr(int fd, termios* termios_p);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int tcsetattr(int fd, int optional_actions, termios* termios_p);

    [LibraryImport(Name)]
    public static partial void cfmakeraw(termios* termios_p);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int cfsetispeed(termios* termios_p, uint speed);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int cfsetospeed(termios* termios_p, uint speed);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int tcflush(int fd, int queue_selector);

    public static int tcgetattr(int fd, out termios t)
    {
        t = default;
        fixed (termios* p = &t) return tcgetattr(fd, p);
    }

    public static int tcsetattr(int fd, int optional_actions, in termios t)
    {
        fixed (termios* p = &t) return tcsetattr(fd, optional_actions, p);
    }

    public static void cfmakeraw(ref termios t)
    {
        fixed (termios* p = &t) cfmakeraw(p);
    }

    public static int cfsetispeed(ref termios t, uint speed)
    {
        fixed (termios* p = &t) return cfsetispeed(p, speed);
    }

    public static int cfsetospeed(ref termios t, uint speed)
    {
        fixed (termios* p = &t) return cfsetospeed(p, speed);
    }

    /// <summary>The speed_t code of a baud rate, or null when termios has none.</summary>
    public static uint? BaudToSpeed(int baud) => baud switch
    {
        1200 => B1200,
        2400 => B2400,
        4800 => B4800,
        9600 => B9600,
        19200 => B19200,
        38400 => B38400,
        57600 => B57600,
        115200 => B115200,
        230400 => B230400,
        _ => null,
    };
}
