/* The fan-out's last hop in C (realtime/wire.py): one pre-built websocket frame sent to many sockets in one call,
 * the interpreter's lock released for the whole loop. A send that does not take the whole frame (a full kernel
 * buffer, a reset connection) is reported, never retried here: the caller hands the rest to that socket's asyncio
 * transport, which buffers it in order or closes the connection as it would for any write.
 *
 * send_all(fds: bytes-like of C ints, frame: bytes-like) -> list[tuple[int, int]]
 *     (index, bytes sent or -errno) of every fd that did not take the whole frame; [] when all did. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <sys/socket.h>

static PyObject *send_all(PyObject *self, PyObject *args) {
    Py_buffer fds, data;
    if (!PyArg_ParseTuple(args, "y*y*", &fds, &data)) return NULL;
    Py_ssize_t n = fds.len / (Py_ssize_t)sizeof(int);
    const int *fd = (const int *)fds.buf;
    ssize_t *res = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(ssize_t));
    if (res == NULL) {
        PyBuffer_Release(&fds);
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        ssize_t r;
        do {
            r = send(fd[i], data.buf, (size_t)data.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (r < 0 && errno == EINTR);
        res[i] = r < 0 ? -(ssize_t)errno : r;
    }
    Py_END_ALLOW_THREADS
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        if (res[i] != data.len) {
            PyObject *t = Py_BuildValue("(nn)", i, (Py_ssize_t)res[i]);
            if (t == NULL || PyList_Append(out, t) < 0) {
                Py_XDECREF(t);
                Py_CLEAR(out);
                break;
            }
            Py_DECREF(t);
        }
    }
    PyMem_RawFree(res);
    PyBuffer_Release(&fds);
    PyBuffer_Release(&data);
    return out;
}

static PyMethodDef methods[] = {
    {"send_all", send_all, METH_VARARGS, "Send one frame to many non-blocking sockets; the ones not sent whole."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastsend", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastsend(void) { return PyModule_Create(&module); }
