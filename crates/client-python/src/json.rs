//! Rust values to Python objects through JSON: the seat and release answers are the
//! server's own wire types, so their Python form is exactly the JSON the server sent
//! (parsed by the standard `json` module, with no hand-written field list to drift).

use pyo3::prelude::*;
use serde::Serialize;

/// `value` as the Python object `json.loads` makes of its JSON.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}
