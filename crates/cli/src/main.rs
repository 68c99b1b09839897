//! `ember-server`: a drop-in for `redis-server`.

fn main() {
    std::process::exit(ember_server::main_with_args(std::env::args().collect()));
}
