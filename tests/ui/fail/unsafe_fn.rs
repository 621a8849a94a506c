use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
async unsafe fn handler() -> &'static str {
    "ok"
}

fn main() {}
