#![no_main]

use libfuzzer_sys::fuzz_target;

// The side API's JSON bodies, through the router: the first byte picks the route.
fuzz_target!(|data: &[u8]| {
    kmip_server::__fuzz::side_api(data);
});
