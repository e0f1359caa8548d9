using System.Runtime.CompilerServices;

namespace Appliance.Tests.Interop;

/// <summary>One fact the C compiler can state: a C expression and the value the C# side declares for it.</summary>
/// <param name="Name">Key of the fact: a constant's name ("AF_INET"), "sizeof(struct pollfd)", "pollfd.revents" ...</param>
/// <param name="CExpression">What the probe program evaluates ("offsetof(struct pollfd, revents)").</param>
/// <param name="CSharpValue">What C# says (the const, Unsafe.SizeOf, the field's byte offset).</param>
/// <param name="Group">The translation unit (set of headers) the expression is compiled in.</param>
public sealed record CCheck(string Name, string CExpression, long CSharpValue, string Group);

/// <summary>Headers of one translation unit of the probe program. Several units exist because some
/// headers conflict (glibc's &lt;net/if.h&gt; and the kernel's &lt;linux/if.h&gt; both define IFF_*).</summary>
public sealed record CGroup(string Name, IReadOnlyList<string> Headers);

/// <summary>
/// The table of every native declaration and what it must equal in C. Values are taken from the
/// C# declarations without reflection (const fields, <see cref="Unsafe.SizeOf{T}"/>, field
/// addresses), so a renamed C# field breaks the build and a wrong C name breaks the probe's compile.
/// </summary>
public sealed class CLayoutTable
{
    private readonly List<CCheck> _checks = [];
    private readonly List<CGroup> _groups = [];
    private readonly Dictionary<Type, List<string>> _structFields = [];
    private string? _group;

    public IReadOnlyList<CCheck> Checks => _checks;
    public IReadOnlyList<CGroup> Groups => _groups;

    /// <summary>Struct types registered, with the C field names checked for each.</summary>
    public IReadOnlyDictionary<Type, List<string>> StructFields => _structFields;

    /// <summary>Starts a translation unit: the following checks are compiled with these headers.</summary>
    public CLayoutTable Group(string name, params string[] headers)
    {
        _groups.Add(new CGroup(name, headers));
        _group = name;
        return this;
    }

    private string CurrentGroup => _group ?? throw new InvalidOperationException("call Group(...) before adding checks");

    /// <summary>
    /// A constant whose C macro has the same name as the C# const: <c>.Constant(Libc.AF_INET)</c>
    /// checks <c>AF_INET</c>; the name is taken from the argument's source text so the two cannot drift.
    /// </summary>
    public CLayoutTable Constant(long value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        var name = CName(expression);
        return Value(name, name, value);
    }

    /// <summary>An unsigned 64-bit constant (ioctl request numbers).</summary>
    public CLayoutTable Constant(ulong value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        var name = CName(expression);
        return Value(name, name, checked((long)value));
    }

    /// <summary>A constant compared with a C expression other than its name (a cast, a lookup).</summary>
    public CLayoutTable ConstantAs(long value, string cExpression, [CallerArgumentExpression(nameof(value))] string expression = "") =>
        Value(CName(expression), cExpression, value);

    private static string CName(string expression) => expression[(expression.LastIndexOf('.') + 1)..].Trim();

    /// <summary>Any C expression against the value C# computes for it (CMSG_SPACE(...), NLMSG_HDRLEN ...).</summary>
    public CLayoutTable Value(string name, string cExpression, long value)
    {
        _checks.Add(new CCheck(name, cExpression, value, CurrentGroup));
        return this;
    }

    /// <summary>Registers a struct: its size now, its fields through the returned builder.</summary>
    public StructChecks<T> Struct<T>(string cType) where T : unmanaged
    {
        var fields = new List<string>();
        _structFields.Add(typeof(T), fields);
        _checks.Add(new CCheck($"sizeof({cType})", $"sizeof({cType})", Unsafe.SizeOf<T>(), CurrentGroup));
        return new StructChecks<T>(this, cType, fields);
    }

    /// <summary>Returns one field of the struct <paramref name="p"/> points to: <c>p =&gt; ref p-&gt;sin_port</c>.</summary>
    public unsafe delegate ref F FieldRef<T, F>(T* p) where T : unmanaged where F : unmanaged;

    /// <summary>The address of a pointer-typed field, <c>p =&gt; &amp;p-&gt;iov_base</c> (C# cannot use pointer types as generic arguments).</summary>
    public unsafe delegate void* PointerFieldAddress<T>(T* p) where T : unmanaged;

    /// <summary>Adds the offset and size checks of one field; the C# field carries the C name.</summary>
    public sealed unsafe class StructChecks<T> where T : unmanaged
    {
        private readonly CLayoutTable _table;
        private readonly string _cType;
        private readonly List<string> _fields;

        internal StructChecks(CLayoutTable table, string cType, List<string> fields) =>
            (_table, _cType, _fields) = (table, cType, fields);

        /// <summary>A field of value type <typeparamref name="F"/>.</summary>
        public StructChecks<T> Field<F>(string cField, FieldRef<T, F> field) where F : unmanaged
        {
            T value = default;
            return Add(cField, (byte*)Unsafe.AsPointer(ref field(&value)) - (byte*)&value, sizeof(F));
        }

        /// <summary>A pointer field.</summary>
        public StructChecks<T> PointerField(string cField, PointerFieldAddress<T> address)
        {
            T value = default;
            return Add(cField, (byte*)address(&value) - (byte*)&value, sizeof(void*));
        }

        private StructChecks<T> Add(string cField, long offset, int size)
        {
            _fields.Add(cField);
            var name = $"{typeof(T).Name}.{cField}";
            _table.Value($"offsetof({name})", $"offsetof({_cType}, {cField})", offset);
            _table.Value($"sizeof({name})", $"sizeof((({_cType} *)0)->{cField})", size);
            return this;
        }
    }
}
