"""The record classes' ``__init__`` and copy templates, compiled ahead of time.

Written by tools/record_code.py from compiler/record.py's template sources and the
shapes of domc's record classes; do not edit (tests/test_record.py checks that it is
what the tool writes).  Only the functions' code objects are used: compiler/record.py
binds them to each class's setters and factories.
"""

# ruff: noqa
# flake8: noqa

INITS = {}
COPIES = {}


def __init__(self, p0):
    _s0(self, p0)
INITS[(1, (), False)] = __init__


def __init__(self, p0, p1):
    _s0(self, p0)
    _s1(self, p1)
INITS[(2, (), False)] = __init__


def __init__(self, p0, p1, p2):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
INITS[(3, (), False)] = __init__


def __init__(self, p0, p1, p2, p3):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
INITS[(4, (), False)] = __init__


def __init__(self, p0, p1, p2, p3):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    self.__post_init__()
INITS[(4, (), True)] = __init__


def __init__(self, p0, p1, p2, p3, p4):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
INITS[(5, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
INITS[(6, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, _f4() if p4 is NOTHING else p4)
    _s5(self, _f5() if p5 is NOTHING else p5)
INITS[(6, (4, 5), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
INITS[(7, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
INITS[(8, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
INITS[(9, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
INITS[(10, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, _f7() if p7 is NOTHING else p7)
    _s8(self, p8)
    _s9(self, _f9() if p9 is NOTHING else p9)
INITS[(10, (7, 9), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
INITS[(11, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, _f5() if p5 is NOTHING else p5)
    _s6(self, _f6() if p6 is NOTHING else p6)
    _s7(self, _f7() if p7 is NOTHING else p7)
    _s8(self, _f8() if p8 is NOTHING else p8)
    _s9(self, p9)
    _s10(self, p10)
INITS[(11, (5, 6, 7, 8), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
INITS[(12, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
INITS[(13, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
INITS[(14, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
INITS[(15, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
INITS[(16, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
INITS[(17, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
INITS[(18, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
INITS[(19, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
INITS[(22, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
INITS[(24, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
INITS[(25, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
    _s25(self, p25)
INITS[(26, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
    _s25(self, p25)
    _s26(self, p26)
INITS[(27, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
    _s25(self, p25)
    _s26(self, p26)
    _s27(self, p27)
INITS[(28, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27, p28, p29):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
    _s25(self, p25)
    _s26(self, p26)
    _s27(self, p27)
    _s28(self, p28)
    _s29(self, p29)
    self.__post_init__()
INITS[(30, (), True)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
    _s25(self, p25)
    _s26(self, p26)
    _s27(self, p27)
    _s28(self, p28)
    _s29(self, p29)
    _s30(self, p30)
    _s31(self, p31)
INITS[(32, (), False)] = __init__


def __init__(self, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31, p32, p33, p34, p35):
    _s0(self, p0)
    _s1(self, p1)
    _s2(self, p2)
    _s3(self, p3)
    _s4(self, p4)
    _s5(self, p5)
    _s6(self, p6)
    _s7(self, p7)
    _s8(self, p8)
    _s9(self, p9)
    _s10(self, p10)
    _s11(self, p11)
    _s12(self, p12)
    _s13(self, p13)
    _s14(self, p14)
    _s15(self, p15)
    _s16(self, p16)
    _s17(self, p17)
    _s18(self, p18)
    _s19(self, p19)
    _s20(self, p20)
    _s21(self, p21)
    _s22(self, p22)
    _s23(self, p23)
    _s24(self, p24)
    _s25(self, p25)
    _s26(self, p26)
    _s27(self, p27)
    _s28(self, p28)
    _s29(self, p29)
    _s30(self, p30)
    _s31(self, p31)
    _s32(self, p32)
    _s33(self, p33)
    _s34(self, p34)
    _s35(self, p35)
INITS[(36, (), False)] = __init__


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    return new
COPIES[1] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    return new
COPIES[2] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    return new
COPIES[3] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    return new
COPIES[4] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    return new
COPIES[5] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    return new
COPIES[6] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    return new
COPIES[7] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    return new
COPIES[8] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    return new
COPIES[9] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    return new
COPIES[10] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    return new
COPIES[11] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    return new
COPIES[12] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    return new
COPIES[13] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    return new
COPIES[14] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    return new
COPIES[15] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    return new
COPIES[16] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    return new
COPIES[17] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    return new
COPIES[18] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    return new
COPIES[19] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    return new
COPIES[22] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    return new
COPIES[24] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    return new
COPIES[25] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    _s25(new, values[25])
    return new
COPIES[26] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    _s25(new, values[25])
    _s26(new, values[26])
    return new
COPIES[27] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    _s25(new, values[25])
    _s26(new, values[26])
    _s27(new, values[27])
    return new
COPIES[28] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    _s25(new, values[25])
    _s26(new, values[26])
    _s27(new, values[27])
    _s28(new, values[28])
    _s29(new, values[29])
    return new
COPIES[30] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    _s25(new, values[25])
    _s26(new, values[26])
    _s27(new, values[27])
    _s28(new, values[28])
    _s29(new, values[29])
    _s30(new, values[30])
    _s31(new, values[31])
    return new
COPIES[32] = copy


def copy(inst, changes):
    values = _get(inst)
    if changes:
        values = list(values)
        for name, value in changes.items():
            values[_index[name]] = value
    new = _new(inst.__class__)
    _s0(new, values[0])
    _s1(new, values[1])
    _s2(new, values[2])
    _s3(new, values[3])
    _s4(new, values[4])
    _s5(new, values[5])
    _s6(new, values[6])
    _s7(new, values[7])
    _s8(new, values[8])
    _s9(new, values[9])
    _s10(new, values[10])
    _s11(new, values[11])
    _s12(new, values[12])
    _s13(new, values[13])
    _s14(new, values[14])
    _s15(new, values[15])
    _s16(new, values[16])
    _s17(new, values[17])
    _s18(new, values[18])
    _s19(new, values[19])
    _s20(new, values[20])
    _s21(new, values[21])
    _s22(new, values[22])
    _s23(new, values[23])
    _s24(new, values[24])
    _s25(new, values[25])
    _s26(new, values[26])
    _s27(new, values[27])
    _s28(new, values[28])
    _s29(new, values[29])
    _s30(new, values[30])
    _s31(new, values[31])
    _s32(new, values[32])
    _s33(new, values[33])
    _s34(new, values[34])
    _s35(new, values[35])
    return new
COPIES[36] = copy
