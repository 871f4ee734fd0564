//! Load generation against any A2A server (`gauntlet load`), and a trivial bare hyper server that
//! answers the same requests, to measure the generator's own ceiling and the reference's overhead.
