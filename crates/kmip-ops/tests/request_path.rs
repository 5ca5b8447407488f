//! The `request_path` fuzz target's function on every request of the OASIS profile vectors,
//! as its seeds: no panic, and a response that decodes. Each runs alone on an empty store, so
//! those that need an object an earlier step made fail, as they should; the rest succeed.

use kmip_test_support::{load_case, profile_files};
use ttlv::{Tag, encode_item};

#[test]
fn the_request_path_answers_every_vector_request() {
    let (mut requests, mut succeeded) = (0, 0);
    for path in profile_files() {
        for item in load_case(&path).into_iter().filter(|i| i.tag == Tag::REQUEST_MESSAGE) {
            requests += 1;
            if kmip_ops::__fuzz::request_path(&encode_item(&item)) {
                succeeded += 1;
            }
        }
    }
    println!("request path: {requests} vector requests, {succeeded} with a successful item");
    assert!(requests > 1000 && succeeded > 200, "{succeeded} of {requests}");
}
