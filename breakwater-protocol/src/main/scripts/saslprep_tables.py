#!/usr/bin/env python3
"""Prints the code point range tables of SaslPrep.java from Python's stringprep module, whose
tables are RFC 3454's (Unicode 3.2): python3 saslprep_tables.py."""
import stringprep

def ranges(pred):
    out, start, prev = [], None, None
    for cp in range(0x110000):
        if pred(cp):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            out.append((start, prev))
            start = None
    if start is not None:
        out.append((start, prev))
    return out

def ch(cp):
    return chr(cp) if not 0xD800 <= cp <= 0xDFFF else None

def t(fn):
    def p(cp):
        c = ch(cp)
        return c is not None and fn(c)
    return p

tables = {
    "NON_ASCII_SPACE": t(stringprep.in_table_c12),
    "MAPPED_TO_NOTHING": t(stringprep.in_table_b1),
    "PROHIBITED": lambda cp: (0xD800 <= cp <= 0xDFFF) or t(lambda c: any(f(c) for f in (
        stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
        stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
        stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
        stringprep.in_table_c9)))(cp),
    "UNASSIGNED": t(stringprep.in_table_a1),
    "RAND_AL_CAT": t(stringprep.in_table_d1),
    "L_CAT": t(stringprep.in_table_d2),
}
for name, pred in tables.items():
    rs = ranges(pred)
    print("  /** %s: %d ranges, first and last code point of each. */" % (name, len(rs)))
    print("  private static final int[] %s = {" % name)
    line = "   "
    for a, b in rs:
        item = " 0x%04X, 0x%04X," % (a, b)
        if len(line) + len(item) > 100:
            print(line)
            line = "   "
        line += item
    print(line)
    print("  };")
    print()
