//! Call control in simulated time: a caller, the switch and buyers as
//! ladders, one scenario per file.

mod bye_from_either_side;
mod cancel_and_200_cross;
mod max_duration_and_2xx_retransmission;
mod media_anchoring;
mod ring_timeout_falls_back;
mod sim;
