// argo-eval applies Argo Rollouts' own code (v1.9.1, pinned in go.mod) to the gate's metrics:
// the real Prometheus provider turns a query result into a measurement, and the real
// utils/evaluate decides its phase from the rendered successCondition/failureCondition.
// Only the Prometheus HTTP call is replaced by a recorded result (or a recorded error).
//
// stdin:  [{"metric": {...Argo Metric JSON...}, "vector": ["0.995"] | null, "error": "..."}]
// stdout: [{"phase": "Successful|Failed|Inconclusive|Error", "value": "...", "message": "..."}]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	log "github.com/sirupsen/logrus"

	"github.com/argoproj/argo-rollouts/metricproviders/prometheus"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

type recordedAPI struct {
	v1.API
	value model.Value
	err   error
}

func (r recordedAPI) Query(_ context.Context, _ string, _ time.Time, _ ...v1.Option) (model.Value, v1.Warnings, error) {
	return r.value, nil, r.err
}

type testCase struct {
	Metric v1alpha1.Metric `json:"metric"`
	Vector []string        `json:"vector"`
	Error  string          `json:"error"`
}

type outcome struct {
	Phase   string `json:"phase"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "argo-eval: bad input:", err)
		os.Exit(2)
	}
	log.SetOutput(os.Stderr)
	log.SetLevel(log.ErrorLevel)
	out := make([]outcome, 0, len(cases))
	for i, c := range cases {
		api := recordedAPI{}
		if c.Error != "" {
			api.err = errors.New(c.Error)
		} else {
			vec := model.Vector{}
			for _, s := range c.Vector {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					fmt.Fprintf(os.Stderr, "argo-eval: case %d: %v\n", i, err)
					os.Exit(2)
				}
				vec = append(vec, &model.Sample{Metric: model.Metric{}, Value: model.SampleValue(f)})
			}
			api.value = vec
		}
		p, err := prometheus.NewPrometheusProvider(api, *log.WithField("case", i), c.Metric)
		if err != nil {
			fmt.Fprintf(os.Stderr, "argo-eval: case %d: %v\n", i, err)
			os.Exit(2)
		}
		m := p.Run(&v1alpha1.AnalysisRun{}, c.Metric)
		out = append(out, outcome{Phase: string(m.Phase), Value: m.Value, Message: m.Message})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(2)
	}
}
