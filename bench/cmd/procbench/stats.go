package main

// Summary statistics and the sampling loop.

import (
	"math"
	"math/rand"
	"sort"
	"sync"
)

type stats struct {
	N      int     `json:"n"`
	Failed int     `json:"failed"`
	Min    float64 `json:"min_ms"`
	Median float64 `json:"median_ms"`
	Mean   float64 `json:"mean_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

func summarize(ns []int64, failed int) stats {
	s := stats{N: len(ns), Failed: failed}
	if len(ns) == 0 {
		return s
	}
	ms := make([]float64, len(ns))
	sum := 0.0
	for i, v := range ns {
		ms[i] = float64(v) / 1e6
		sum += ms[i]
	}
	sort.Float64s(ms)
	rank := func(q float64) float64 { // nearest rank
		i := int(math.Ceil(q*float64(len(ms)))) - 1
		if i < 0 {
			i = 0
		}
		return ms[i]
	}
	s.Min, s.Max, s.Mean = ms[0], ms[len(ms)-1], sum/float64(len(ms))
	if len(ms)%2 == 1 {
		s.Median = ms[len(ms)/2]
	} else {
		s.Median = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
	}
	s.P90, s.P99 = rank(0.90), rank(0.99)
	return s
}

// runSamples runs n samples with `par` in parallel; errors are counted, the first few kept.
func runSamples(n, par int, seed int64, f func(i int, rng *rand.Rand) (int64, error)) ([]int64, int, []string) {
	var mu sync.Mutex
	var out []int64
	var errs []string
	failed := 0
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed + int64(w)))
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				v, err := f(i, rng)
				mu.Lock()
				if err != nil {
					failed++
					if len(errs) < 3 {
						errs = append(errs, err.Error())
					}
				} else {
					out = append(out, v)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return out, failed, errs
}
