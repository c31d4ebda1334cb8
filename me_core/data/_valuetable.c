/* A hash table of byte strings for the streaming encoder (me_core/data/encode.py).
 *
 * ValueTable gives each distinct string an id (0, 1, ... in order of first appearance) and
 * counts its occurrences. encode() maps a whole Arrow string column (offsets + data buffers) to
 * ids in one C loop with the GIL released, so two reader threads encode in parallel; the table
 * persists across blocks, so there is no per-block dictionary to merge afterwards.
 * remap() turns a block of first-seen ids into final ids through one lookup array per field.
 *
 * Open addressing with linear probing; a slot keeps the first 8 bytes of its string, so a
 * string of up to 8 bytes (every Criteo and Avazu value) is compared without leaving the slot.
 * Hashes of a batch of values are computed first and their slots prefetched, which hides most
 * cache misses on large tables.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The line encoder reads eight bytes at a time as one little-endian word (the delimiter
 * search, the byte offset of a match): refuse to build elsewhere; me_core then uses its
 * Python encoder (me_core/data/_valuetable_py.py), which gives the same arrays. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) \
    && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "me_core's C encoder needs a little-endian host; the Python encoder is used instead"
#endif

typedef struct {
    uint64_t key8;   /* first 8 bytes of the string, zero padded */
    uint32_t id1;    /* id + 1; 0 = empty slot */
    uint32_t lentag; /* length (0..8), or 0xff | 24 hash bits << 8 for a longer string */
} slot_t;

typedef struct {
    PyObject_HEAD
    slot_t *slots;
    uint64_t mask;      /* slots - 1 (a power of two minus one) */
    int64_t size;       /* distinct strings */
    int64_t capacity;   /* ids that starts/counts can hold */
    int64_t *starts;    /* capacity + 1: string k is arena[starts[k]:starts[k + 1]] */
    int64_t *counts;
    uint8_t *arena;
    int64_t arena_capacity;
    int busy;           /* an encode is running with the GIL released */
} ValueTable;

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33; h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The first min(n, 8) bytes of p as a little-endian integer; reads past p + n only when that
 * stays before end (the end of the data buffer). */
static inline uint64_t load8(const uint8_t *p, int64_t n, const uint8_t *end) {
    uint64_t w = 0;
    if (p + 8 <= end) {
        memcpy(&w, p, 8);
        return n >= 8 ? w : (n == 0 ? 0 : w & ((1ULL << (8 * n)) - 1));
    }
    for (int64_t k = 0; k < n && k < 8; k++) w |= (uint64_t)p[k] << (8 * k);
    return w;
}

static inline uint64_t hash_bytes(const uint8_t *p, int64_t n, const uint8_t *end) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    if (n <= 8) return mix64(h ^ load8(p, n, end));
    while (n > 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix64(h ^ w);
        p += 8; n -= 8;
    }
    return mix64(h ^ load8(p, n, end));
}

static inline uint32_t lentag_of(int64_t n, uint64_t h) {
    return n <= 8 ? (uint32_t)n : ((uint32_t)(h >> 40) << 8) | 0xffu;
}

/* --- growth (called without the GIL: failures are reported through the return value) --- */

static int grow_slots(ValueTable *t) {
    uint64_t mask = (t->mask << 1) | 1;
    slot_t *slots = calloc(mask + 1, sizeof(slot_t));
    if (slots == NULL) return -1;
    for (uint64_t i = 0; i <= t->mask; i++) {
        slot_t s = t->slots[i];
        if (s.id1 == 0) continue;
        int64_t k = (int64_t)s.id1 - 1;
        const uint8_t *p = t->arena + t->starts[k];
        int64_t n = t->starts[k + 1] - t->starts[k];
        uint64_t j = hash_bytes(p, n, p + n) & mask;
        while (slots[j].id1 != 0) j = (j + 1) & mask;
        slots[j] = s;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return 0;
}

static int reserve_ids(ValueTable *t) {
    if (t->size < t->capacity) return 0;
    if (t->size >= INT32_MAX) return -2;  /* ids are int32 */
    int64_t capacity = t->capacity * 2;
    int64_t *starts = realloc(t->starts, sizeof(int64_t) * (capacity + 1));
    if (starts == NULL) return -1;
    t->starts = starts;
    int64_t *counts = realloc(t->counts, sizeof(int64_t) * capacity);
    if (counts == NULL) return -1;
    t->counts = counts;
    t->capacity = capacity;
    return 0;
}

static int reserve_arena(ValueTable *t, int64_t more) {
    int64_t used = t->starts[t->size];
    if (used + more <= t->arena_capacity) return 0;
    int64_t capacity = t->arena_capacity;
    while (used + more > capacity) capacity *= 2;
    uint8_t *arena = realloc(t->arena, capacity);
    if (arena == NULL) return -1;
    t->arena = arena;
    t->arena_capacity = capacity;
    return 0;
}

/* The id of p[0:n] (inserted with count 0 when new); -1 when out of memory, -2 when the
 * table already holds 2^31 - 1 strings. */
static inline int64_t find_or_add(ValueTable *t, const uint8_t *p, int64_t n, uint64_t h,
                                  const uint8_t *end) {
    uint64_t key8 = load8(p, n, end);
    uint32_t lentag = lentag_of(n, h);
    uint64_t j = h & t->mask;
    for (;;) {
        slot_t *s = &t->slots[j];
        if (s->id1 == 0) break;
        if (s->key8 == key8 && s->lentag == lentag) {
            int64_t k = (int64_t)s->id1 - 1;
            if (n <= 8 || (t->starts[k + 1] - t->starts[k] == n
                           && memcmp(t->arena + t->starts[k], p, n) == 0))
                return k;
        }
        j = (j + 1) & t->mask;
    }
    int reserved = reserve_ids(t);
    if (reserved < 0) return reserved;
    if (reserve_arena(t, n) < 0) return -1;
    int64_t k = t->size;
    memcpy(t->arena + t->starts[k], p, n);
    t->starts[k + 1] = t->starts[k] + n;
    t->counts[k] = 0;
    t->slots[j].key8 = key8;
    t->slots[j].lentag = lentag;
    t->slots[j].id1 = (uint32_t)(k + 1);
    t->size++;
    if ((uint64_t)t->size * 10 > t->mask * 7 && grow_slots(t) < 0) return -1;
    return k;
}

/* --- the Python type --- */

static PyObject *ValueTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "", kwlist)) return NULL;
    ValueTable *t = (ValueTable *)type->tp_alloc(type, 0);
    if (t == NULL) return NULL;
    t->mask = (1 << 10) - 1;
    t->capacity = 1 << 9;
    t->arena_capacity = 1 << 14;
    t->slots = calloc(t->mask + 1, sizeof(slot_t));
    t->starts = calloc(t->capacity + 1, sizeof(int64_t));
    t->counts = calloc(t->capacity, sizeof(int64_t));
    t->arena = malloc(t->arena_capacity);
    if (!t->slots || !t->starts || !t->counts || !t->arena) {
        Py_DECREF(t);
        return PyErr_NoMemory();
    }
    return (PyObject *)t;
}

static void ValueTable_dealloc(ValueTable *t) {
    free(t->slots);
    free(t->starts);
    free(t->counts);
    free(t->arena);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t ValueTable_len(ValueTable *t) { return (Py_ssize_t)t->size; }

static int is_int_format(const Py_buffer *b, Py_ssize_t itemsize) {
    if (b->itemsize != itemsize || b->format == NULL) return 0;
    const char *f = b->format;
    if (*f == '<' || *f == '=' || *f == '@') f++;
    if (itemsize == 4) return strcmp(f, "i") == 0 || (sizeof(long) == 4 && strcmp(f, "l") == 0);
    return strcmp(f, "q") == 0 || (sizeof(long) == 8 && strcmp(f, "l") == 0);
}

#define BATCH 16

PyDoc_STRVAR(encode_doc,
"encode(offsets, data, codes, stride=1, weights=None)\n--\n\n"
"Map the strings data[offsets[i]:offsets[i + 1]] (i < len(offsets) - 1; offsets int32 or int64,\n"
"as in an Arrow string or large_string array) to their ids, written to codes[i * stride]\n"
"(int32). Each string's count grows by 1, or by weights[i] (int64) when weights are given.");

static PyObject *ValueTable_encode(ValueTable *t, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"offsets", "data", "codes", "stride", "weights", NULL};
    Py_buffer offsets = {0}, data = {0}, codes = {0}, weights = {0};
    Py_ssize_t stride = 1;
    PyObject *offsets_obj, *data_obj, *codes_obj, *weights_obj = Py_None, *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|nO", kwlist, &offsets_obj, &data_obj,
                                     &codes_obj, &stride, &weights_obj))
        return NULL;
    if (PyObject_GetBuffer(offsets_obj, &offsets, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(data_obj, &data, PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(codes_obj, &codes,
                              PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0
        || (weights_obj != Py_None
            && PyObject_GetBuffer(weights_obj, &weights, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0))
        goto done;
    int wide = offsets.itemsize == 8;
    Py_ssize_t n = offsets.len / (offsets.itemsize ? offsets.itemsize : 1) - 1;
    if (!is_int_format(&offsets, 4) && !is_int_format(&offsets, 8)) {
        PyErr_SetString(PyExc_TypeError, "offsets must be int32 or int64");
        goto done;
    }
    if (!is_int_format(&codes, 4)) {
        PyErr_SetString(PyExc_TypeError, "codes must be int32");
        goto done;
    }
    if (weights_obj != Py_None && !is_int_format(&weights, 8)) {
        PyErr_SetString(PyExc_TypeError, "weights must be int64");
        goto done;
    }
    if (n < 0) n = 0;
    if (stride < 1 || (n > 0 && (n - 1) * stride >= codes.len / 4)) {
        PyErr_Format(PyExc_ValueError, "codes holds %zd values, too few for %zd strings at "
                     "stride %zd", codes.len / 4, n, stride);
        goto done;
    }
    if (weights_obj != Py_None && weights.len / 8 < n) {
        PyErr_Format(PyExc_ValueError, "%zd weights for %zd strings", weights.len / 8, n);
        goto done;
    }
    if (t->busy) {
        PyErr_SetString(PyExc_RuntimeError, "ValueTable is used by another thread");
        goto done;
    }
    const int32_t *off32 = offsets.buf;
    const int64_t *off64 = offsets.buf;
    const uint8_t *bytes = data.buf, *end = (const uint8_t *)data.buf + data.len;
    int32_t *out = codes.buf;
    const int64_t *w = weights_obj != Py_None ? weights.buf : NULL;
    Py_ssize_t bad = -1;
    int failed = 0;
    t->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    uint64_t hashes[BATCH];
    int64_t starts[BATCH + 1];
    for (Py_ssize_t i0 = 0; i0 < n && !failed && bad < 0; i0 += BATCH) {
        Py_ssize_t m = n - i0 < BATCH ? n - i0 : BATCH;
        for (Py_ssize_t b = 0; b <= m; b++)
            starts[b] = wide ? off64[i0 + b] : (int64_t)off32[i0 + b];
        for (Py_ssize_t b = 0; b < m; b++) {
            if (starts[b] < 0 || starts[b + 1] < starts[b] || starts[b + 1] > data.len) {
                bad = i0 + b;
                break;
            }
            hashes[b] = hash_bytes(bytes + starts[b], starts[b + 1] - starts[b], end);
            __builtin_prefetch(&t->slots[hashes[b] & t->mask]);
        }
        if (bad >= 0) break;
        for (Py_ssize_t b = 0; b < m; b++) {
            int64_t k = find_or_add(t, bytes + starts[b], starts[b + 1] - starts[b], hashes[b], end);
            if (k < 0) { failed = (int)k; break; }
            t->counts[k] += w != NULL ? w[i0 + b] : 1;
            out[(i0 + b) * stride] = (int32_t)k;
        }
    }
    Py_END_ALLOW_THREADS
    t->busy = 0;
    if (failed == -2) {
        PyErr_SetString(PyExc_OverflowError, "more than 2^31 - 1 distinct strings in one table");
        goto done;
    }
    if (failed) { PyErr_NoMemory(); goto done; }
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "offsets %zd..%zd do not lie within the %zd data bytes",
                     bad, bad + 1, data.len);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    if (offsets.obj != NULL) PyBuffer_Release(&offsets);
    if (data.obj != NULL) PyBuffer_Release(&data);
    if (codes.obj != NULL) PyBuffer_Release(&codes);
    if (weights.obj != NULL) PyBuffer_Release(&weights);
    return result;
}

PyDoc_STRVAR(values_doc,
"values() -> (starts, data)\n--\n\n"
"The distinct strings in id order: starts (int64 bytes, len + 1 entries) and data (bytes),\n"
"string k being data[starts[k]:starts[k + 1]]: an Arrow large_string array's buffers.");

static int check_idle(ValueTable *t) {
    if (!t->busy) return 0;
    PyErr_SetString(PyExc_RuntimeError, "ValueTable is used by another thread");
    return -1;
}

static PyObject *ValueTable_values(ValueTable *t, PyObject *Py_UNUSED(ignored)) {
    if (check_idle(t) < 0) return NULL;
    PyObject *starts = PyBytes_FromStringAndSize((const char *)t->starts,
                                                 sizeof(int64_t) * (t->size + 1));
    if (starts == NULL) return NULL;
    PyObject *data = PyBytes_FromStringAndSize((const char *)t->arena, t->starts[t->size]);
    if (data == NULL) { Py_DECREF(starts); return NULL; }
    return Py_BuildValue("(NN)", starts, data);
}

PyDoc_STRVAR(counts_doc, "counts() -> bytes\n--\n\nEach id's count, int64, in id order.");

static PyObject *ValueTable_counts(ValueTable *t, PyObject *Py_UNUSED(ignored)) {
    if (check_idle(t) < 0) return NULL;
    return PyBytes_FromStringAndSize((const char *)t->counts, sizeof(int64_t) * t->size);
}

static PyMethodDef ValueTable_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))ValueTable_encode, METH_VARARGS | METH_KEYWORDS,
     encode_doc},
    {"values", (PyCFunction)ValueTable_values, METH_NOARGS, values_doc},
    {"counts", (PyCFunction)ValueTable_counts, METH_NOARGS, counts_doc},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods ValueTable_as_sequence = {.sq_length = (lenfunc)ValueTable_len};

static PyTypeObject ValueTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "me_core.data._valuetable.ValueTable",
    .tp_doc = PyDoc_STR("Distinct byte strings with ids in order of first appearance and counts."),
    .tp_basicsize = sizeof(ValueTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = ValueTable_new,
    .tp_dealloc = (destructor)ValueTable_dealloc,
    .tp_methods = ValueTable_methods,
    .tp_as_sequence = &ValueTable_as_sequence,
};

/* --- remap --- */

PyDoc_STRVAR(remap_doc,
"remap(codes, lookups, oov)\n--\n\n"
"In place: codes[r, f] = lookups[f][codes[r, f]] for a C-contiguous int32 block of\n"
"len(lookups) columns (each lookup int32); oov[f] (int64) grows by the rows whose new id is 0.");

static PyObject *remap(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer codes = {0}, oov = {0};
    PyObject *lookups_obj, *seq = NULL, *result = NULL;
    Py_buffer *lookups = NULL;
    Py_ssize_t fields = 0, acquired = 0;
    PyObject *codes_obj, *oov_obj;
    if (!PyArg_ParseTuple(args, "OOO", &codes_obj, &lookups_obj, &oov_obj)) return NULL;
    if (PyObject_GetBuffer(codes_obj, &codes,
                           PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0
        || PyObject_GetBuffer(oov_obj, &oov,
                              PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0)
        goto done;
    seq = PySequence_Fast(lookups_obj, "lookups must be a sequence");
    if (seq == NULL) goto done;
    fields = PySequence_Fast_GET_SIZE(seq);
    if (!is_int_format(&codes, 4) || !is_int_format(&oov, 8) || oov.len / 8 != fields
        || fields == 0 || codes.ndim != 2 || codes.shape[1] != fields) {
        PyErr_SetString(PyExc_ValueError, "remap: codes a 2-D int32 block with one column per "
                        "lookup, oov int64 with one entry per lookup");
        goto done;
    }
    lookups = PyMem_Calloc(fields, sizeof(Py_buffer));
    if (lookups == NULL) { PyErr_NoMemory(); goto done; }
    for (; acquired < fields; acquired++) {
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, acquired), &lookups[acquired],
                               PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
            goto done;
        if (!is_int_format(&lookups[acquired], 4)) {
            acquired++;
            PyErr_SetString(PyExc_TypeError, "remap: lookups must be int32");
            goto done;
        }
    }
    int32_t *block = codes.buf;
    int64_t *missing = oov.buf;
    Py_ssize_t rows = codes.len / (4 * fields), bad_field = -1;
    int32_t bad_value = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows && bad_field < 0; r++) {
        int32_t *row = block + r * fields;
        for (Py_ssize_t f = 0; f < fields; f++) {
            int32_t v = row[f];
            if (v < 0 || v >= lookups[f].len / 4) { bad_field = f; bad_value = v; break; }
            int32_t id = ((const int32_t *)lookups[f].buf)[v];
            row[f] = id;
            missing[f] += id == 0;
        }
    }
    Py_END_ALLOW_THREADS
    if (bad_field >= 0) {
        PyErr_Format(PyExc_ValueError, "remap: code %d of column %zd has no lookup entry",
                     bad_value, bad_field);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    for (Py_ssize_t f = 0; f < acquired; f++) PyBuffer_Release(&lookups[f]);
    PyMem_Free(lookups);
    Py_XDECREF(seq);
    if (codes.obj != NULL) PyBuffer_Release(&codes);
    if (oov.obj != NULL) PyBuffer_Release(&oov);
    return result;
}

/* --- delimited text lines (Criteo, Avazu) --- */

/* Whether p[0:n] is valid UTF-8 as Python's strict decoder sees it (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static int valid_utf8(const uint8_t *p, int64_t n) {
    int64_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        int64_t extra;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) extra = 1;
        else if (c == 0xE0) { extra = 2; lo = 0xA0; }
        else if (c == 0xED) { extra = 2; hi = 0x9F; }
        else if (c >= 0xE1 && c <= 0xEF) extra = 2;
        else if (c == 0xF0) { extra = 3; lo = 0x90; }
        else if (c == 0xF4) { extra = 3; hi = 0x8F; }
        else if (c >= 0xF1 && c <= 0xF3) extra = 3;
        else return 0;
        if (i + extra >= n) return 0;
        if (p[i + 1] < lo || p[i + 1] > hi) return 0;
        for (int64_t k = 2; k <= extra; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return 0;
        i += extra + 1;
    }
    return 1;
}

/* Empty, or an optional minus sign and at least one digit. */
static inline int integer_text(const uint8_t *p, int64_t n) {
    if (n == 0) return 1;
    if (*p == '-') { p++; n--; }
    if (n == 0) return 0;
    for (int64_t k = 0; k < n; k++)
        if (p[k] < '0' || p[k] > '9') return 0;
    return 1;
}

PyDoc_STRVAR(encode_lines_doc,
"encode_lines(data, tables, field_columns, integer_columns, label_column, delimiter, codes,\n"
"             labels, stop_at_bad) -> (consumed, rows, bad, first_bad)\n--\n\n"
"Split the '\\n'-ended lines of data (the last may lack its '\\n') at the one-byte delimiter\n"
"and encode each good line: labels[row] = its label (column label_column, '0' or '1'),\n"
"codes[row, f] = the id of column field_columns[f] in tables[f]. A line ends before its '\\n'\n"
"and any '\\r' before that; an empty line is skipped. A line is bad when it is not UTF-8, has\n"
"another number of columns than len(integer_columns), a label other than 0/1, or a column\n"
"flagged in integer_columns (uint8) that is neither empty nor an integer (-?[0-9]+); bad\n"
"lines are counted, and the first one's byte offset is first_bad (-1: none). Stops when\n"
"codes (int32, rows x len(tables)) is full, at the end of data, or (stop_at_bad) at the first\n"
"bad line; consumed: the bytes of data handled.");

static PyObject *encode_lines(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *data_obj, *tables_obj, *fields_obj, *integers_obj, *codes_obj, *labels_obj;
    Py_ssize_t label_column;
    int delimiter, stop_at_bad;
    if (!PyArg_ParseTuple(args, "OOOOniOOp", &data_obj, &tables_obj, &fields_obj, &integers_obj,
                          &label_column, &delimiter, &codes_obj, &labels_obj, &stop_at_bad))
        return NULL;
    Py_buffer data = {0}, fields = {0}, integers = {0}, codes = {0}, labels = {0};
    PyObject *seq = NULL, *result = NULL;
    ValueTable **tables = NULL;
    int64_t *cuts = NULL;
    Py_ssize_t nfields = 0, marked = 0;
    if (PyObject_GetBuffer(data_obj, &data, PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(fields_obj, &fields, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(integers_obj, &integers, PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(codes_obj, &codes,
                              PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0
        || PyObject_GetBuffer(labels_obj, &labels,
                              PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0)
        goto done;
    seq = PySequence_Fast(tables_obj, "tables must be a sequence");
    if (seq == NULL) goto done;
    nfields = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t ncolumns = integers.len;
    if (nfields == 0 || !is_int_format(&fields, 4) || fields.len / 4 != nfields
        || !is_int_format(&codes, 4) || codes.ndim != 2 || codes.shape[1] != nfields
        || labels.itemsize != 4 || labels.format == NULL || strchr(labels.format, 'f') == NULL
        || ncolumns < 1 || label_column < 0 || label_column >= ncolumns
        || delimiter < 1 || delimiter > 127 || delimiter == '\n' || delimiter == '\r') {
        PyErr_SetString(PyExc_ValueError, "encode_lines: tables, int32 field columns, an int32 "
                        "block with one column per table, float32 labels, a column inside the "
                        "line for the label and an ASCII delimiter");
        goto done;
    }
    Py_ssize_t capacity = codes.shape[0] < labels.len / 4 ? codes.shape[0] : labels.len / 4;
    const int32_t *field_columns = fields.buf;
    for (Py_ssize_t f = 0; f < nfields; f++)
        if (field_columns[f] < 0 || field_columns[f] >= ncolumns) {
            PyErr_Format(PyExc_ValueError, "encode_lines: field %zd's column %d is not one of "
                         "the %zd columns", f, field_columns[f], ncolumns);
            goto done;
        }
    tables = PyMem_Calloc(nfields, sizeof(ValueTable *));
    cuts = PyMem_Calloc(ncolumns + 1, sizeof(int64_t));
    if (tables == NULL || cuts == NULL) { PyErr_NoMemory(); goto done; }
    for (; marked < nfields; marked++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, marked);
        if (!PyObject_TypeCheck(item, &ValueTableType)) {
            PyErr_SetString(PyExc_TypeError, "encode_lines: tables must be ValueTables");
            goto done;
        }
        tables[marked] = (ValueTable *)item;
        if (tables[marked]->busy) {
            PyErr_SetString(PyExc_RuntimeError, "ValueTable is used by another thread");
            goto done;
        }
        /* owned while the GIL is released: another thread may empty the caller's list */
        Py_INCREF(item);
        tables[marked]->busy = 1;
    }
    const uint8_t *start = data.buf, *end = start + data.len, *p = start;
    const uint8_t *is_integer = integers.buf;
    int32_t *out = codes.buf;
    float *label_out = labels.buf;
    Py_ssize_t rows = 0, bad = 0, first_bad = -1;
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    uint64_t hashes[64];
    const uint64_t LOW7 = 0x7F7F7F7F7F7F7F7FULL, spread = 0x0101010101010101ULL * (uint8_t)delimiter;
    while (p < end && rows < capacity) {
        const uint8_t *newline = memchr(p, '\n', end - p);
        const uint8_t *next = newline != NULL ? newline + 1 : end;
        const uint8_t *stop = newline != NULL ? newline : end;
        while (stop > p && stop[-1] == '\r') stop--;
        if (stop == p) { p = next; continue; }  /* an empty line */
        /* split at the delimiter; cuts[k] = start of column k, cuts[k + 1] - 1 its end */
        Py_ssize_t found = 0;
        uint64_t high = 0;
        cuts[0] = p - start;
        const uint8_t *q = p;
        for (; q + 8 <= stop; q += 8) {  /* eight bytes at a time */
            uint64_t w;
            memcpy(&w, q, 8);
            high |= w;
            uint64_t x = w ^ spread;  /* delimiter bytes -> 0 */
            uint64_t zero = ~(((x & LOW7) + LOW7) | x | LOW7);  /* 0x80 where x's byte is 0 */
            while (zero) {
                found++;
                if (found < ncolumns) cuts[found] = q + (__builtin_ctzll(zero) >> 3) + 1 - start;
                zero &= zero - 1;
            }
        }
        for (; q < stop; q++) {
            high |= *q;
            if (*q == (uint8_t)delimiter) {
                found++;
                if (found < ncolumns) cuts[found] = q + 1 - start;
            }
        }
        found++;
        int good = found == ncolumns
                   && (!(high & 0x8080808080808080ULL) || valid_utf8(p, stop - p));
        if (good) {
            cuts[ncolumns] = stop + 1 - start;
            const uint8_t *label = start + cuts[label_column];
            int64_t label_length = cuts[label_column + 1] - 1 - cuts[label_column];
            good = label_length == 1 && (*label == '0' || *label == '1');
            for (Py_ssize_t c = 0; good && c < ncolumns; c++)
                if (is_integer[c])
                    good = integer_text(start + cuts[c], cuts[c + 1] - 1 - cuts[c]);
            if (good) label_out[rows] = *label == '1' ? 1.0f : 0.0f;
        }
        if (!good) {
            bad++;
            if (first_bad < 0) first_bad = p - start;
            if (stop_at_bad) break;
            p = next;
            continue;
        }
        for (Py_ssize_t f0 = 0; f0 < nfields && !failed; f0 += 64) {
            Py_ssize_t m = nfields - f0 < 64 ? nfields - f0 : 64;
            for (Py_ssize_t b = 0; b < m; b++) {
                Py_ssize_t c = field_columns[f0 + b];
                hashes[b] = hash_bytes(start + cuts[c], cuts[c + 1] - 1 - cuts[c], end);
                __builtin_prefetch(&tables[f0 + b]->slots[hashes[b] & tables[f0 + b]->mask]);
            }
            for (Py_ssize_t b = 0; b < m; b++) {
                Py_ssize_t c = field_columns[f0 + b];
                ValueTable *t = tables[f0 + b];
                int64_t k = find_or_add(t, start + cuts[c], cuts[c + 1] - 1 - cuts[c],
                                        hashes[b], end);
                if (k < 0) { failed = (int)k; break; }
                t->counts[k] += 1;
                out[rows * nfields + f0 + b] = (int32_t)k;
            }
        }
        if (failed) break;
        rows++;
        p = next;
    }
    Py_END_ALLOW_THREADS
    if (failed == -2)
        PyErr_SetString(PyExc_OverflowError, "more than 2^31 - 1 distinct strings in one table");
    else if (failed)
        PyErr_NoMemory();
    else
        result = Py_BuildValue("(nnnn)", (Py_ssize_t)(p - start), rows, bad, first_bad);
done:
    for (Py_ssize_t f = 0; f < marked; f++) {
        tables[f]->busy = 0;
        Py_DECREF(tables[f]);
    }
    PyMem_Free(tables);
    PyMem_Free(cuts);
    Py_XDECREF(seq);
    if (data.obj != NULL) PyBuffer_Release(&data);
    if (fields.obj != NULL) PyBuffer_Release(&fields);
    if (integers.obj != NULL) PyBuffer_Release(&integers);
    if (codes.obj != NULL) PyBuffer_Release(&codes);
    if (labels.obj != NULL) PyBuffer_Release(&labels);
    return result;
}

static PyMethodDef module_methods[] = {
    {"remap", remap, METH_VARARGS, remap_doc},
    {"encode_lines", encode_lines, METH_VARARGS, encode_lines_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_valuetable",
    "Hash table of byte strings and code remapping for the streaming encoder.", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__valuetable(void) {
    if (PyType_Ready(&ValueTableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "ValueTable", (PyObject *)&ValueTableType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
