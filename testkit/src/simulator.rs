//! The Dspread QPOS reader simulator.
