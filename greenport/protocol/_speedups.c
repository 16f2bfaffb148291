/*
 * Compiled fast path of the HJ 212 codec (greenport.protocol._speedups).
 *
 * Pure computation, no I/O. Two things are done here because Python cannot do them fast enough
 * for an ingest server receiving tens of thousands of frames per second:
 *
 *   crc16_hj212(data)   the CRC of HJ 212-2017 Appendix A, table form new = T[(old >> 8) ^ b];
 *   crc16_modbus(data)  CRC-16/MODBUS (vendor variant, see crc.py);
 *   scan_frame(frame)   the common upload frame, checked and split in one pass.
 *
 * scan_frame() accepts only the plain case (see codec.py, "_PLAIN_HEADER" and "_fast_cp"):
 * a whole frame of printable ASCII, declared length = byte count <= 1024, exactly 4 hex CRC digits
 * matching the HJ 212 CRC, the header in Table 3 order with PNUM/PNO exactly when Flag sets bit D
 * (anything the Python decoder would note), and a data area of an optional 14-digit
 * DataTime followed by `code-Field=value` items. For anything else it returns None and the Python
 * decoder, which is the reference and reports every error precisely, takes the frame. So this
 * module never raises a ProtocolError and never decides that a frame is bad: a test checks that
 * decode() gives equal messages and equal errors with and without it.
 *
 * It returns the Message itself, built as codec._message() builds it (slots set directly, the
 * classes and constants handed over by configure()): factors as {code: {suffix: value}} in wire
 * order, numeric suffixes as float via PyOS_string_to_double (the function float() itself uses),
 * DataTime as an aware datetime at UTC+08:00. Codes, suffixes and short values repeat from frame
 * to frame, so their str objects (with their hash) are kept in a small cache.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <math.h>
#include <stdint.h>

#define STANDARD_SEGMENT_LENGTH 1024

static unsigned short ARC_TABLE[256];
/* HPOW[k][x] = H**k(x) with H(x) = ARC_TABLE[x] >> 8 (see crc.py: H is linear, H**8 = identity). */
static unsigned char HPOW[8][256];

/* Set by configure(). */
static PyObject *numeric_fields = NULL; /* frozenset of str */
static PyObject *time_fields = NULL;    /* frozenset of str */
static PyTypeObject *message_type = NULL;
static PyTypeObject *cp_type = NULL;
static PyObject *hj212_variant = NULL; /* CrcVariant.HJ212 */
static PyObject *china_tz = NULL;      /* the tzinfo codec._parse_time gives */
static PyObject *empty_tuple = NULL;

#define MESSAGE_SLOTS 11
static const char *MESSAGE_SLOT_NAMES[MESSAGE_SLOTS] = {
    "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "cp", "crc_variant", "notes"};
static PyObject *message_slot_names[MESSAGE_SLOTS];
#define CP_SLOTS 4
static const char *CP_SLOT_NAMES[CP_SLOTS] = {"data_time", "params", "factors", "groups"};
static PyObject *cp_slot_names[CP_SLOTS];

/* Cache of short ASCII str objects (codes, suffixes, flags, MN, PW...), direct-mapped. */
#define STR_CACHE_SIZE 4096
#define STR_CACHE_MAX_LENGTH 32
typedef struct {
    PyObject *text;
    int kind; /* as a factor field suffix: KIND_UNKNOWN until asked, then KIND_TEXT/NUMBER/TIME */
} cache_entry;
static cache_entry str_cache[STR_CACHE_SIZE];
enum { KIND_UNKNOWN = -1, KIND_TEXT = 0, KIND_NUMBER = 1, KIND_TIME = 2 };

/* 10**k, exact as doubles for k <= 22. */
static const double POWERS_OF_TEN[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static void
init_arc_table(void)
{
    for (int index = 0; index < 256; index++) {
        unsigned int value = (unsigned int)index;
        for (int bit = 0; bit < 8; bit++) {
            value = (value & 1) ? (value >> 1) ^ 0xA001u : value >> 1;
        }
        ARC_TABLE[index] = (unsigned short)value;
    }
}

static void
init_hpow(void)
{
    for (int x = 0; x < 256; x++) HPOW[0][x] = (unsigned char)x;
    for (int k = 1; k < 8; k++) {
        for (int x = 0; x < 256; x++) HPOW[k][x] = (unsigned char)(ARC_TABLE[HPOW[k - 1][x]] >> 8);
    }
}

/*
 * HJ 212-2017 Appendix A. With s_k = (register high byte) ^ b_k, s_{k+1} = H(s_k) ^ b_{k+1} and the
 * CRC is ARC_TABLE[s_{n-1}]; H is linear with H**8 = identity, so s_{n-1} is H**((n-1)%8)(0xFF)
 * XOR, for each lane r, H**r(XOR of the bytes at distance r mod 8 from the end): the bytes are
 * folded eight at a time. crc.py's crc16_hj212_reference is the byte-by-byte loop; tests compare.
 */
static inline unsigned int
hj212_crc(const unsigned char *data, Py_ssize_t size)
{
    if (size == 0) return 0xFFFF;
    unsigned char lane[8] = {0};
    Py_ssize_t head = size & 7;
    uint64_t folded = 0;
    for (Py_ssize_t at = head; at < size; at += 8) {
        uint64_t word;
        memcpy(&word, data + at, 8);
        folded ^= word;
    }
    unsigned char bytes[8];
    memcpy(bytes, &folded, 8);
    for (int offset = 0; offset < 8; offset++) lane[7 - offset] = bytes[offset];
    for (Py_ssize_t k = 0; k < head; k++) lane[(size - 1 - k) & 7] ^= data[k];
    unsigned int state = HPOW[(size - 1) & 7][0xFF];
    for (int r = 0; r < 8; r++) state ^= HPOW[r][lane[r]];
    return ARC_TABLE[state];
}

static PyObject *
py_crc16_hj212(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    unsigned int reg = hj212_crc((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(reg);
}

static PyObject *
py_crc16_modbus(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)view.buf;
    unsigned int reg = 0xFFFF;
    for (Py_ssize_t i = 0; i < view.len; i++) {
        reg = (reg >> 8) ^ ARC_TABLE[(reg ^ data[i]) & 0xFF];
    }
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(reg);
}

static PyObject *
py_configure(PyObject *module, PyObject *args)
{
    PyObject *numeric, *times, *message, *cp, *variant, *tz;
    if (!PyArg_ParseTuple(args, "O!O!O!O!OO", &PyFrozenSet_Type, &numeric, &PyFrozenSet_Type, &times,
                          &PyType_Type, &message, &PyType_Type, &cp, &variant, &tz)) {
        return NULL;
    }
    if (!PyTZInfo_Check(tz)) {
        PyErr_SetString(PyExc_TypeError, "configure(): tz must be a tzinfo");
        return NULL;
    }
    Py_XSETREF(numeric_fields, Py_NewRef(numeric));
    Py_XSETREF(time_fields, Py_NewRef(times));
    Py_XSETREF(message_type, (PyTypeObject *)Py_NewRef(message));
    Py_XSETREF(cp_type, (PyTypeObject *)Py_NewRef(cp));
    Py_XSETREF(hj212_variant, Py_NewRef(variant));
    Py_XSETREF(china_tz, Py_NewRef(tz));
    Py_RETURN_NONE;
}

static uint32_t
fnv1a(const unsigned char *data, Py_ssize_t size)
{
    uint32_t hash = 2166136261u;
    for (Py_ssize_t i = 0; i < size; i++) hash = (hash ^ data[i]) * 16777619u;
    return hash;
}

/* The cache entry of a short printable-ASCII string, filled if needed; NULL on error. */
static cache_entry *
cache_lookup(const unsigned char *start, Py_ssize_t size)
{
    cache_entry *entry = &str_cache[fnv1a(start, size) & (STR_CACHE_SIZE - 1)];
    PyObject *hit = entry->text;
    if (hit != NULL && PyUnicode_GET_LENGTH(hit) == size
        && memcmp(PyUnicode_1BYTE_DATA(hit), start, (size_t)size) == 0) {
        return entry;
    }
    PyObject *text = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, start, size);
    if (text == NULL) return NULL;
    if (PyObject_Hash(text) == -1) { /* computed once, kept in the str */
        Py_DECREF(text);
        return NULL;
    }
    Py_XSETREF(entry->text, text);
    entry->kind = KIND_UNKNOWN;
    return entry;
}

/* A str of printable ASCII bytes, from the cache when it is short (a new reference). */
static PyObject *
cached_str(const unsigned char *start, const unsigned char *end)
{
    Py_ssize_t size = end - start;
    if (size > STR_CACHE_MAX_LENGTH) {
        return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, start, size);
    }
    cache_entry *entry = cache_lookup(start, size);
    return entry == NULL ? NULL : Py_NewRef(entry->text);
}

/* A factor field suffix (new reference) and its kind (numeric_fields, time_fields or text). */
static PyObject *
suffix_str(const unsigned char *start, const unsigned char *end, int *kind)
{
    Py_ssize_t size = end - start;
    if (size > STR_CACHE_MAX_LENGTH) {
        *kind = KIND_TEXT; /* longer than any suffix of the sets: checked below all the same */
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, start, size);
        if (text == NULL) return NULL;
        int is_time = PySet_Contains(time_fields, text);
        int is_number = PySet_Contains(numeric_fields, text);
        if (is_time < 0 || is_number < 0) {
            Py_DECREF(text);
            return NULL;
        }
        *kind = is_time ? KIND_TIME : is_number ? KIND_NUMBER : KIND_TEXT;
        return text;
    }
    cache_entry *entry = cache_lookup(start, size);
    if (entry == NULL) return NULL;
    if (entry->kind == KIND_UNKNOWN) {
        int is_time = PySet_Contains(time_fields, entry->text);
        int is_number = PySet_Contains(numeric_fields, entry->text);
        if (is_time < 0 || is_number < 0) return NULL;
        entry->kind = is_time ? KIND_TIME : is_number ? KIND_NUMBER : KIND_TEXT;
    }
    *kind = entry->kind;
    return Py_NewRef(entry->text);
}

/*
 * A decimal [+-]digits[.digits] as float() reads it. Up to 15 significant digits and 22 decimals,
 * mantissa and 10**k are exact doubles and one IEEE division rounds correctly, so the result is
 * float()'s own (Clinger's fast path); anything else goes to PyOS_string_to_double.
 * Returns 0 and sets *out, or -1 when the text is not a finite number.
 */
static int
parse_number(const unsigned char *start, const unsigned char *end, double *out)
{
    const unsigned char *p = start;
    int negative = 0;
    if (p < end && (*p == '+' || *p == '-')) negative = (*p++ == '-');
    uint64_t mantissa = 0;
    int digits = 0, decimals = 0, significant = 0, simple = 1;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        if (mantissa != 0 || *p != '0') significant++;
        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        if (significant > 15) simple = 0;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++, decimals++) {
            if (mantissa != 0 || *p != '0') significant++;
            mantissa = mantissa * 10 + (uint64_t)(*p - '0');
            if (significant > 15) simple = 0;
        }
    }
    if (simple && digits > 0 && p == end && decimals <= 22) {
        double value = (double)mantissa / POWERS_OF_TEN[decimals];
        *out = negative ? -value : value;
        return 0;
    }
    char buffer[64];
    Py_ssize_t size = end - start;
    if (size == 0 || size >= (Py_ssize_t)sizeof(buffer)) return -1;
    memcpy(buffer, start, (size_t)size);
    buffer[size] = '\0';
    char *parsed_end = NULL;
    double number = PyOS_string_to_double(buffer, &parsed_end, NULL);
    if (number == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    if (parsed_end != buffer + size || !isfinite(number)) return -1;
    *out = number;
    return 0;
}

static inline int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static inline PyObject *
ascii_str(const unsigned char *start, const unsigned char *end)
{
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, start, end - start);
}

/* Set the slots of a frozen dataclass the way object.__setattr__ does; steals the values. */
static int
set_slots(PyObject *obj, PyObject **names, PyObject **values, int count)
{
    int status = 0;
    for (int i = 0; i < count; i++) {
        if (status == 0 && values[i] != NULL) {
            status = PyObject_GenericSetAttr(obj, names[i], values[i]);
        }
        else if (values[i] == NULL) {
            status = -1;
        }
        Py_XDECREF(values[i]);
    }
    return status;
}

/* An aware datetime from 14 digits YYYYMMDDhhmmss at china_tz; NULL with no error if invalid. */
static PyObject *
china_time(const unsigned char *text)
{
    int parts[6], widths[6] = {4, 2, 2, 2, 2, 2};
    const unsigned char *p = text;
    for (int i = 0; i < 6; i++) {
        int value = 0;
        for (int j = 0; j < widths[i]; j++, p++) {
            if (*p < '0' || *p > '9') return NULL;
            value = value * 10 + (*p - '0');
        }
        parts[i] = value;
    }
    PyObject *moment = PyDateTimeAPI->DateTime_FromDateAndTime(
        parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], 0, china_tz, PyDateTimeAPI->DateTimeType);
    if (moment == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear(); /* not a valid date: the Python decoder reports it */
    }
    return moment;
}

/* Match `key` at *p (within end); on success advance *p past it. */
static inline int
take(const unsigned char **p, const unsigned char *end, const char *key, Py_ssize_t size)
{
    if (end - *p >= size && memcmp(*p, key, (size_t)size) == 0) {
        *p += size;
        return 1;
    }
    return 0;
}

/* Digits [min, max] then ';'. Returns the end of the digits or NULL. */
static inline const unsigned char *
digits_then_semicolon(const unsigned char *p, const unsigned char *end, int min, int max)
{
    const unsigned char *start = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    Py_ssize_t count = p - start;
    if (count < min || count > max || p >= end || *p != ';') return NULL;
    return p;
}

static long
digits_value(const unsigned char *start, const unsigned char *end)
{
    long value = 0;
    for (; start < end; start++) value = value * 10 + (*start - '0');
    return value;
}

/* Characters of PW and MN in the plain header: [^;,=&\s] within printable ASCII. */
static inline int
token_char(unsigned char c)
{
    return c != ';' && c != ',' && c != '=' && c != '&';
}

/* Parse the factor items of the data area [p, end); NULL with no exception set = not plain. */
static PyObject *
scan_factors(const unsigned char *p, const unsigned char *end)
{
    PyObject *factors = PyDict_New();
    if (factors == NULL) return NULL;
    const unsigned char *last_code = NULL; /* consecutive fields of one factor: no dict lookup */
    Py_ssize_t last_code_size = 0;
    PyObject *fields = NULL; /* borrowed from factors */
    while (p < end) {
        const unsigned char *name = p, *dash = NULL;
        while (p < end && *p != '=') {
            if (*p == ';' || *p == ',') goto not_plain;
            if (*p == '-') dash = p;
            p++;
        }
        if (p >= end) goto not_plain;
        const unsigned char *name_end = p++;
        const unsigned char *value = p;
        while (p < end && *p != ';' && *p != ',') {
            if (*p == '=') goto not_plain;
            p++;
        }
        const unsigned char *value_end = p;
        if (p < end) {
            p++;
            if (p >= end) goto not_plain; /* trailing separator: the lenient path notes it */
        }
        if (dash == NULL || dash == name || dash + 1 == name_end) goto not_plain;
        int kind;
        PyObject *suffix = suffix_str(dash + 1, name_end, &kind);
        if (suffix == NULL) goto error;
        PyObject *item;
        if (kind == KIND_NUMBER) {
            double number;
            if (parse_number(value, value_end, &number) < 0) {
                Py_DECREF(suffix);
                goto not_plain;
            }
            item = PyFloat_FromDouble(number);
        }
        else if (kind == KIND_TEXT) {
            item = cached_str(value, value_end);
        }
        else { /* -SampleTime: parsed by the Python decoder */
            Py_DECREF(suffix);
            goto not_plain;
        }
        if (item == NULL) {
            Py_DECREF(suffix);
            goto error;
        }
        Py_ssize_t code_size = dash - name;
        if (fields == NULL || code_size != last_code_size || memcmp(name, last_code, (size_t)code_size) != 0) {
            PyObject *code = cached_str(name, dash);
            if (code == NULL) {
                Py_DECREF(suffix);
                Py_DECREF(item);
                goto error;
            }
            fields = PyDict_GetItemWithError(factors, code); /* borrowed */
            if (fields == NULL) {
                if (PyErr_Occurred() || (fields = PyDict_New()) == NULL
                    || PyDict_SetItem(factors, code, fields) < 0) {
                    Py_XDECREF(fields);
                    Py_DECREF(code);
                    Py_DECREF(suffix);
                    Py_DECREF(item);
                    goto error;
                }
                Py_DECREF(fields); /* the dict of factors holds it */
            }
            Py_DECREF(code);
            last_code = name;
            last_code_size = code_size;
        }
        Py_ssize_t before = PyDict_GET_SIZE(fields);
        PyObject *present = PyDict_SetDefault(fields, suffix, item); /* borrowed */
        Py_DECREF(suffix);
        Py_DECREF(item);
        if (present == NULL) goto error;
        /* a field given twice (the same value may be the same cached object): the lenient path notes it */
        if (PyDict_GET_SIZE(fields) == before) goto not_plain;
    }
    return factors;
not_plain:
error:
    Py_DECREF(factors);
    return NULL;
}

static PyObject *
py_scan_frame(PyObject *module, PyObject *arg)
{
    if (!PyBytes_CheckExact(arg)) {
        Py_RETURN_NONE;
    }
    if (message_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_speedups.configure() was not called");
        return NULL;
    }
    const unsigned char *frame = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t size = PyBytes_GET_SIZE(arg);
    Py_ssize_t end = size;
    if (end > 0 && frame[end - 1] == '\n') {
        end -= (end > 1 && frame[end - 2] == '\r') ? 2 : 1;
    }
    if (end < 6 + 7 + 4 || frame[0] != '#' || frame[1] != '#') Py_RETURN_NONE;
    long declared = 0;
    for (int i = 2; i < 6; i++) {
        if (frame[i] < '0' || frame[i] > '9') Py_RETURN_NONE;
        declared = declared * 10 + (frame[i] - '0');
    }
    if (declared > STANDARD_SEGMENT_LENGTH || 6 + declared + 4 != end) Py_RETURN_NONE;
    const unsigned char *seg = frame + 6;
    const unsigned char *seg_end = seg + declared;
    unsigned int crc_declared = 0;
    for (int i = 0; i < 4; i++) {
        int digit = hex_value(seg_end[i]);
        if (digit < 0) Py_RETURN_NONE;
        crc_declared = (crc_declared << 4) | (unsigned int)digit;
    }
    if (hj212_crc(seg, declared) != crc_declared) Py_RETURN_NONE;
    /* Printable ASCII only, and where "CP=&&" first occurs. */
    const unsigned char *cp = NULL;
    for (const unsigned char *q = seg; q < seg_end; q++) {
        if (*q < 0x21 || *q > 0x7E) Py_RETURN_NONE;
        if (cp == NULL && *q == 'C' && seg_end - q >= 5 && q[1] == 'P' && q[2] == '=' && q[3] == '&'
            && q[4] == '&') {
            cp = q;
        }
    }
    if (cp == NULL || seg_end - cp < 7 || seg_end[-1] != '&' || seg_end[-2] != '&') Py_RETURN_NONE;

    /* Header, exactly the shape of codec._PLAIN_HEADER, up to cp. */
    const unsigned char *p = seg, *head_end = cp;
    const unsigned char *qn = NULL, *qn_end = NULL, *st, *st_end, *cn, *cn_end;
    const unsigned char *pw = NULL, *pw_end = NULL, *mn, *mn_end;
    const unsigned char *flag = NULL, *flag_end = NULL;
    const unsigned char *pnum = NULL, *pnum_end = NULL, *pno = NULL, *pno_end = NULL;
    if (take(&p, head_end, "QN=", 3)) {
        qn = p;
        if ((qn_end = digits_then_semicolon(p, head_end, 1, 20)) == NULL) Py_RETURN_NONE;
        p = qn_end + 1;
    }
    if (!take(&p, head_end, "ST=", 3)) Py_RETURN_NONE;
    st = p;
    while (p < head_end && ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) p++;
    if (p == st || p >= head_end || *p != ';') Py_RETURN_NONE;
    st_end = p++;
    if (!take(&p, head_end, "CN=", 3)) Py_RETURN_NONE;
    cn = p;
    if ((cn_end = digits_then_semicolon(p, head_end, 1, 64)) == NULL) Py_RETURN_NONE;
    p = cn_end + 1;
    if (take(&p, head_end, "PW=", 3)) {
        pw = p;
        while (p < head_end && token_char(*p)) p++;
        if (p >= head_end || *p != ';') Py_RETURN_NONE;
        pw_end = p++;
    }
    if (!take(&p, head_end, "MN=", 3)) Py_RETURN_NONE;
    mn = p;
    while (p < head_end && token_char(*p)) p++;
    if (p >= head_end || *p != ';') Py_RETURN_NONE;
    mn_end = p++;
    if (take(&p, head_end, "Flag=", 5)) {
        flag = p;
        if ((flag_end = digits_then_semicolon(p, head_end, 1, 3)) == NULL) Py_RETURN_NONE;
        p = flag_end + 1;
        if (digits_value(flag, flag_end) > 255) Py_RETURN_NONE;
    }
    if (take(&p, head_end, "PNUM=", 5)) {
        pnum = p;
        if ((pnum_end = digits_then_semicolon(p, head_end, 1, 4)) == NULL) Py_RETURN_NONE;
        p = pnum_end + 1;
        if (!take(&p, head_end, "PNO=", 4)) Py_RETURN_NONE;
        pno = p;
        if ((pno_end = digits_then_semicolon(p, head_end, 1, 4)) == NULL) Py_RETURN_NONE;
        p = pno_end + 1;
    }
    /* Flag bit D (split upload, HJ 212-2017 Table 3) without PNUM/PNO (from the 2017 edition on,
     * version bits >= 1), or PNUM/PNO without it: tolerated with a note, which only the Python
     * decoder (codec._note_packets) writes. */
    long flag_bits = flag != NULL ? digits_value(flag, flag_end) : 0;
    if (pnum != NULL ? !(flag_bits & 2) : ((flag_bits & 2) && (flag_bits >> 2))) Py_RETURN_NONE;
    if (p != head_end) Py_RETURN_NONE;

    /* Data area: what codec._decode_cp sends to its fast path. */
    const unsigned char *text = cp + 5, *text_end = seg_end - 2;
    if (text == text_end) Py_RETURN_NONE;
    for (const unsigned char *q = text; q < text_end; q++) {
        if (*q == '_' || *q == '&' || (*q == '/' && q + 1 < text_end && q[1] == '/')) Py_RETURN_NONE;
    }
    const unsigned char *time = NULL;
    p = text;
    if (take(&p, text_end, "DataTime=", 9)) {
        time = p;
        while (p < text_end && *p != ';' && *p != ',') p++;
        if (p - time != 14) Py_RETURN_NONE;
        if (p < text_end) p++;
    }

    PyObject *data_time = Py_NewRef(Py_None);
    if (time != NULL) {
        Py_DECREF(data_time);
        if ((data_time = china_time(time)) == NULL) {
            if (PyErr_Occurred()) return NULL;
            Py_RETURN_NONE;
        }
    }
    PyObject *factors;
    if (p >= text_end) {
        if (time == NULL) {
            Py_DECREF(data_time);
            Py_RETURN_NONE;
        }
        factors = PyDict_New();
    }
    else {
        factors = scan_factors(p, text_end);
    }
    if (factors == NULL) {
        Py_DECREF(data_time);
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE;
    }
    PyObject *cp_object = cp_type->tp_alloc(cp_type, 0);
    PyObject *cp_values[CP_SLOTS] = {data_time, PyDict_New(), factors, Py_NewRef(empty_tuple)};
    if (cp_object == NULL) {
        for (int i = 0; i < CP_SLOTS; i++) Py_XDECREF(cp_values[i]);
        return NULL;
    }
    if (set_slots(cp_object, cp_slot_names, cp_values, CP_SLOTS) < 0) {
        Py_DECREF(cp_object);
        return NULL;
    }
    PyObject *message = message_type->tp_alloc(message_type, 0);
    PyObject *values[MESSAGE_SLOTS] = {
        qn ? ascii_str(qn, qn_end) : Py_NewRef(Py_None),
        cached_str(st, st_end),
        cached_str(cn, cn_end),
        pw ? cached_str(pw, pw_end) : Py_NewRef(Py_None),
        cached_str(mn, mn_end),
        flag ? PyLong_FromLong(digits_value(flag, flag_end)) : Py_NewRef(Py_None),
        pnum ? PyLong_FromLong(digits_value(pnum, pnum_end)) : Py_NewRef(Py_None),
        pno ? PyLong_FromLong(digits_value(pno, pno_end)) : Py_NewRef(Py_None),
        cp_object,
        Py_NewRef(hj212_variant),
        Py_NewRef(empty_tuple),
    };
    if (message == NULL) {
        for (int i = 0; i < MESSAGE_SLOTS; i++) Py_XDECREF(values[i]);
        return NULL;
    }
    if (set_slots(message, message_slot_names, values, MESSAGE_SLOTS) < 0) {
        Py_DECREF(message);
        return NULL;
    }
    return message;
}

/* factor_entries(factors, value_field, corrected_field, codes, flags) -> dict | None
 *
 * The usual factors of a CP projected through a code table, for the ingest hot path
 * (greenport.ingest.pipeline.reading_row holds the reference in Python):
 *   factors          CP.factors: code -> {field: value}
 *   value_field      "Rtd", "Avg", ...; corrected_field "ZsRtd", ... or "" for none
 *   codes            code -> (name, scale); flags: flag text (or None) -> stored letter
 * Result: {name: [value * scale, letter]} or {name: [value * scale, letter, corrected * scale]}
 * (value None when only the flag or the corrected value came), the first code of a name kept.
 * None when anything is not usual: a field other than those three, a value that is not a float,
 * a flag that is not a str, a code or flag missing from the tables, or a scaled value that is
 * not finite; the Python path then takes the frame (and explains what it refuses). */
static PyObject *
py_factor_entries(PyObject *self, PyObject *args)
{
    PyObject *factors, *value_field, *corrected_field, *codes, *flags;
    if (!PyArg_ParseTuple(args, "O!UUO!O!", &PyDict_Type, &factors, &value_field, &corrected_field,
                          &PyDict_Type, &codes, &PyDict_Type, &flags)) {
        return NULL;
    }
    int has_corrected = PyUnicode_GET_LENGTH(corrected_field) > 0;
    PyObject *out = PyDict_New();
    if (out == NULL) return NULL;
    Py_ssize_t pos = 0;
    PyObject *code, *fields;
    while (PyDict_Next(factors, &pos, &code, &fields)) {
        if (!PyDict_CheckExact(fields)) goto not_usual;
        PyObject *value = NULL, *corrected = NULL, *flag = NULL;
        Py_ssize_t fpos = 0;
        PyObject *key, *item;
        while (PyDict_Next(fields, &fpos, &key, &item)) {
            if (!PyUnicode_CheckExact(key)) goto not_usual;
            if (PyUnicode_Compare(key, value_field) == 0) {
                if (!PyFloat_CheckExact(item)) goto not_usual;
                value = item;
            } else if (has_corrected && PyUnicode_Compare(key, corrected_field) == 0) {
                if (!PyFloat_CheckExact(item)) goto not_usual;
                corrected = item;
            } else if (PyUnicode_CompareWithASCIIString(key, "Flag") == 0) {
                if (!PyUnicode_CheckExact(item)) goto not_usual;
                flag = item;
            } else {
                goto not_usual;
            }
        }
        if (value == NULL && corrected == NULL && flag == NULL) continue; /* nothing sent */
        PyObject *found = PyDict_GetItemWithError(codes, code);
        if (found == NULL || !PyTuple_CheckExact(found) || PyTuple_GET_SIZE(found) != 2) {
            if (PyErr_Occurred()) goto error;
            goto not_usual;
        }
        PyObject *name = PyTuple_GET_ITEM(found, 0);
        double scale = PyFloat_AsDouble(PyTuple_GET_ITEM(found, 1));
        if (scale == -1.0 && PyErr_Occurred()) goto error;
        PyObject *letter = PyDict_GetItemWithError(flags, flag ? flag : Py_None);
        if (letter == NULL) {
            if (PyErr_Occurred()) goto error;
            goto not_usual;
        }
        int present = PyDict_Contains(out, name);
        if (present < 0) goto error;
        if (present) continue; /* two codes of one parameter: the first is kept */
        PyObject *entry = PyList_New(corrected ? 3 : 2);
        if (entry == NULL) goto error;
        PyObject *scaled[2] = {value, corrected};
        for (int i = 0; i < 2; i++) {
            PyObject *v = scaled[i];
            if (v == NULL) {
                if (i == 0) PyList_SET_ITEM(entry, 0, Py_NewRef(Py_None));
                continue;
            }
            if (scale != 1.0) {
                double x = PyFloat_AS_DOUBLE(v) * scale;
                if (!isfinite(x)) {
                    Py_DECREF(entry);
                    goto not_usual;
                }
                v = PyFloat_FromDouble(x);
                if (v == NULL) {
                    Py_DECREF(entry);
                    goto error;
                }
            } else {
                Py_INCREF(v);
            }
            PyList_SET_ITEM(entry, i == 0 ? 0 : 2, v);
        }
        PyList_SET_ITEM(entry, 1, Py_NewRef(letter));
        int failed = PyDict_SetItem(out, name, entry);
        Py_DECREF(entry);
        if (failed < 0) goto error;
    }
    return out;
not_usual:
    Py_DECREF(out);
    Py_RETURN_NONE;
error:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef speedups_methods[] = {
    {"crc16_hj212", py_crc16_hj212, METH_O, "HJ 212-2017 Appendix A CRC of a bytes-like object."},
    {"crc16_modbus", py_crc16_modbus, METH_O, "CRC-16/MODBUS of a bytes-like object."},
    {"configure", py_configure, METH_VARARGS, "configure(numeric_fields, time_fields, Message, CP, CrcVariant.HJ212, tz)."},
    {"scan_frame", py_scan_frame, METH_O, "The Message of a plain upload frame, or None: the Python decoder takes it."},
    {"factor_entries", py_factor_entries, METH_VARARGS, "The usual factors of a CP through a code table, or None (see the C source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "greenport.protocol._speedups",
    "Compiled fast path of the HJ 212 codec (CRC and the plain upload frame).",
    -1,
    speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    init_arc_table();
    init_hpow();
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    if ((empty_tuple = PyTuple_New(0)) == NULL) return NULL;
    for (int i = 0; i < MESSAGE_SLOTS; i++) {
        if ((message_slot_names[i] = PyUnicode_InternFromString(MESSAGE_SLOT_NAMES[i])) == NULL) return NULL;
    }
    for (int i = 0; i < CP_SLOTS; i++) {
        if ((cp_slot_names[i] = PyUnicode_InternFromString(CP_SLOT_NAMES[i])) == NULL) return NULL;
    }
    return PyModule_Create(&speedups_module);
}
