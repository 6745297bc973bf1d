// What the CPU offers, for choosing thread counts.
#pragma once

namespace cria {

// Physical cores this process may run on (hyper-threads counted once), at least 1.
int physical_cores();

// Logical CPUs this process may run on, at least 1.
int logical_cpus();

}  // namespace cria
