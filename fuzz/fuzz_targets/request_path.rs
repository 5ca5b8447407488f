#![no_main]

use libfuzzer_sys::fuzz_target;

// The whole request path, bytes in to response bytes out, on an in-memory store.
fuzz_target!(|data: &[u8]| {
    kmip_ops::__fuzz::request_path(data);
});
