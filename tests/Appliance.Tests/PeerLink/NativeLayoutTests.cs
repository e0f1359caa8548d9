using System.Runtime.InteropServices;
using Appliance.PeerLink.Native;
using Xunit;
using static Appliance.PeerLink.Native.TermiosConstants;

namespace Appliance.Tests.PeerLink;

/// <summary>The termios, fcntl and poll declarations against glibc's headers.</summary>
public class NativeLayoutTests
{
    [Fact]
    public void Termios_and_constants_match_the_C_headers()
    {
        var c = CProgram.Run("#include <termios.h>\n#include <fcntl.h>\n#include <poll.h>\n#include <errno.h>",
        [
            ("sizeof_termios", "sizeof(struct termios)"), ("off_iflag", "offsetof(struct termios, c_iflag)"),
            ("off_oflag", "offsetof(struct termios, c_oflag)"), ("off_cflag", "offsetof(struct termios, c_cflag)"),
            ("off_lflag", "offsetof(struct termios, c_lflag)"), ("off_line", "offsetof(struct termios, c_line)"),
            ("off_cc", "offsetof(struct termios, c_cc)"), ("off_ispeed", "offsetof(struct termios, c_ispeed)"),
            ("off_ospeed", "offsetof(struct termios, c_ospeed)"), ("NCCS", "NCCS"),
            ("sizeof_pollfd", "sizeof(struct pollfd)"), ("off_revents", "offsetof(struct pollfd, revents)"),
            ("O_RDWR", "O_RDWR"), ("O_NOCTTY", "O_NOCTTY"), ("O_NONBLOCK", "O_NONBLOCK"), ("O_CLOEXEC", "O_CLOEXEC"),
            ("TCSANOW", "TCSANOW"), ("TCIOFLUSH", "TCIOFLUSH"),
            ("CSIZE", "CSIZE"), ("CS8", "CS8"), ("CSTOPB", "CSTOPB"), ("CREAD", "CREAD"), ("PARENB", "PARENB"),
            ("HUPCL", "HUPCL"), ("CLOCAL", "CLOCAL"), ("CBAUD", "CBAUD"), ("CRTSCTS", "CRTSCTS"),
            ("IXON", "IXON"), ("IXANY", "IXANY"), ("IXOFF", "IXOFF"), ("VTIME", "VTIME"), ("VMIN", "VMIN"),
            ("B9600", "B9600"), ("B19200", "B19200"), ("B38400", "B38400"), ("B57600", "B57600"), ("B115200", "B115200"),
            ("B230400", "B230400"), ("B460800", "B460800"), ("B921600", "B921600"),
            ("POLLIN", "POLLIN"), ("POLLERR", "POLLERR"), ("POLLHUP", "POLLHUP"), ("POLLNVAL", "POLLNVAL"),
            ("EINTR", "EINTR"), ("EIO", "EIO"), ("EAGAIN", "EAGAIN"), ("ENOENT", "ENOENT"),
        ]);
        Assert.Equal(60, c["sizeof_termios"]);
        Assert.Equal(c["sizeof_termios"], Marshal.SizeOf<Termios>());
        Assert.Equal(c["off_iflag"], Marshal.OffsetOf<Termios>(nameof(Termios.c_iflag)));
        Assert.Equal(c["off_oflag"], Marshal.OffsetOf<Termios>(nameof(Termios.c_oflag)));
        Assert.Equal(c["off_cflag"], Marshal.OffsetOf<Termios>(nameof(Termios.c_cflag)));
        Assert.Equal(c["off_lflag"], Marshal.OffsetOf<Termios>(nameof(Termios.c_lflag)));
        Assert.Equal(c["off_line"], Marshal.OffsetOf<Termios>(nameof(Termios.c_line)));
        Assert.Equal(c["off_cc"], Marshal.OffsetOf<Termios>(nameof(Termios.c_cc)));
        Assert.Equal(c["off_ispeed"], Marshal.OffsetOf<Termios>(nameof(Termios.c_ispeed)));
        Assert.Equal(c["off_ospeed"], Marshal.OffsetOf<Termios>(nameof(Termios.c_ospeed)));
        Assert.Equal(Termios.NCCS, c["NCCS"]);
        Assert.Equal(c["sizeof_pollfd"], Marshal.SizeOf<PollFd>());
        Assert.Equal(c["off_revents"], Marshal.OffsetOf<PollFd>(nameof(PollFd.revents)));

        var mine = new Dictionary<string, long>
        {
            ["O_RDWR"] = O_RDWR, ["O_NOCTTY"] = O_NOCTTY, ["O_NONBLOCK"] = O_NONBLOCK, ["O_CLOEXEC"] = O_CLOEXEC,
            ["TCSANOW"] = TCSANOW, ["TCIOFLUSH"] = TCIOFLUSH, ["CSIZE"] = CSIZE, ["CS8"] = CS8, ["CSTOPB"] = CSTOPB,
            ["CREAD"] = CREAD, ["PARENB"] = PARENB, ["HUPCL"] = HUPCL, ["CLOCAL"] = CLOCAL, ["CBAUD"] = CBAUD,
            ["CRTSCTS"] = CRTSCTS, ["IXON"] = IXON, ["IXANY"] = IXANY, ["IXOFF"] = IXOFF, ["VTIME"] = VTIME, ["VMIN"] = VMIN,
            ["B9600"] = B9600, ["B19200"] = B19200, ["B38400"] = B38400, ["B57600"] = B57600, ["B115200"] = B115200,
            ["B230400"] = B230400, ["B460800"] = B460800, ["B921600"] = B921600,
            ["POLLIN"] = POLLIN, ["POLLERR"] = POLLERR, ["POLLHUP"] = POLLHUP, ["POLLNVAL"] = POLLNVAL,
            ["EINTR"] = EINTR, ["EIO"] = EIO, ["EAGAIN"] = EAGAIN, ["ENOENT"] = ENOENT,
        };
        foreach (var (name, value) in mine)
            Assert.True(c[name] == value, $"{name}: C says {c[name]} (0x{c[name]:x}), C# says {value} (0x{value:x})");
    }
}
