using System.Runtime.CompilerServices;

namespace Appliance.Interop;

// Fixed-size C arrays inside structs (sin_zero[8], s6_addr[16], c_cc[32]) as inline arrays:
// blittable, no unsafe `fixed` buffers, indexable and convertible to spans.

/// <summary>A C <c>unsigned char [8]</c>.</summary>
[InlineArray(8)]
public struct InlineBytes8 { private byte _element0; }

/// <summary>A C <c>unsigned char [16]</c>.</summary>
[InlineArray(16)]
public struct InlineBytes16 { private byte _element0; }

/// <summary>A C <c>unsigned char [32]</c>.</summary>
[InlineArray(32)]
public struct InlineBytes32 { private byte _element0; }

/// <summary>A C <c>char [14]</c> (struct sockaddr's sa_data).</summary>
[InlineArray(14)]
public struct InlineBytes14 { private byte _element0; }
