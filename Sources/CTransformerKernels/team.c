#include "CTransformerKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#else
#define PAUSE() ((void)0)
#endif

// Two threads for one forward pass: the caller and a helper that spins briefly between jobs (a
// forward pass has dozens of short stages; waking a sleeping thread for each would cost more than
// some stages), then sleeps on a condition variable until the next job. Waits inside a job (the
// barrier, the end of the job) spin briefly and then yield the core: when other processes keep
// both cores busy, the thread being waited for may be the one that needs this core.
struct sy_team {
    pthread_t helper;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    _Atomic unsigned long job;      // incremented for every job; the helper runs each once
    _Atomic int helper_done;
    _Atomic int sleeping;
    _Atomic int stop;
    void (*fn)(void *, int);
    void *ctx;
    _Atomic int arrived;            // barrier
    _Atomic unsigned long phase;
};

enum { SPINS = 200000, SPINS_BEFORE_YIELD = 2000 };

// One step of waiting for the other thread: a pause, and after a while a yield of the core.
static inline void wait_step(int *spins) {
    if (++*spins < SPINS_BEFORE_YIELD) PAUSE();
    else sched_yield();
}

static void *helper_main(void *arg) {
    sy_team *team = arg;
    unsigned long seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&team->job, memory_order_acquire) == seen && !atomic_load(&team->stop)) {
            if (++spins < SPINS) {
                PAUSE();
                continue;
            }
            pthread_mutex_lock(&team->lock);
            atomic_store(&team->sleeping, 1);
            while (atomic_load(&team->job) == seen && !atomic_load(&team->stop)) pthread_cond_wait(&team->wake, &team->lock);
            atomic_store(&team->sleeping, 0);
            pthread_mutex_unlock(&team->lock);
        }
        if (atomic_load(&team->stop)) return 0;
        seen = atomic_load_explicit(&team->job, memory_order_acquire);
        team->fn(team->ctx, 1);
        atomic_store_explicit(&team->helper_done, 1, memory_order_release);
    }
}

sy_team *sy_team_create(void) {
    sy_team *team = calloc(1, sizeof *team);
    if (!team) return 0;
    pthread_mutex_init(&team->lock, 0);
    pthread_cond_init(&team->wake, 0);
    if (pthread_create(&team->helper, 0, helper_main, team) != 0) {
        free(team);
        return 0;
    }
    return team;
}

void sy_team_destroy(sy_team *team) {
    pthread_mutex_lock(&team->lock);
    atomic_store(&team->stop, 1);
    pthread_cond_signal(&team->wake);
    pthread_mutex_unlock(&team->lock);
    pthread_join(team->helper, 0);
    pthread_cond_destroy(&team->wake);
    pthread_mutex_destroy(&team->lock);
    free(team);
}

void sy_team_run(sy_team *team, void (*fn)(void *ctx, int part), void *ctx) {
    team->fn = fn;
    team->ctx = ctx;
    atomic_store(&team->helper_done, 0);
    atomic_fetch_add_explicit(&team->job, 1, memory_order_release);
    if (atomic_load(&team->sleeping)) {
        pthread_mutex_lock(&team->lock);
        pthread_cond_signal(&team->wake);
        pthread_mutex_unlock(&team->lock);
    }
    fn(ctx, 0);
    int spins = 0;
    while (!atomic_load_explicit(&team->helper_done, memory_order_acquire)) wait_step(&spins);
}

void sy_team_barrier(sy_team *team) {
    unsigned long phase = atomic_load_explicit(&team->phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&team->arrived, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&team->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&team->phase, 1, memory_order_release);
    } else {
        int spins = 0;
        while (atomic_load_explicit(&team->phase, memory_order_acquire) == phase) wait_step(&spins);
    }
}
