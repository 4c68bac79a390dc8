"""
One data-poor main task helped by auxiliary tasks
==================================================

The main task has 16 labelled samples of 10 features; six auxiliary tasks of related
models have 100 each, two of them very noisy. We compare, on held-out data of the
main task and over 10 random draws:

* fitting the main task alone,
* fitting all tasks jointly with equal task weights,
* fitting all tasks jointly with weights learned from each task's noise level
  (``task_weights="uncertainty"``), which trusts the noisy tasks less.

``main_task=0`` makes ``score`` (and so any model selection) use the main task only,
while every task is used in fitting.

What to notice: borrowing from related tasks clearly beats fitting the main task
alone. The learned noise levels find the two noisy tasks (about 5 against 0.5), but
they are estimated from training residuals, so the main task's own noise comes out
too small when it has few samples (its model fits its few points closely): it then
gets more weight than it deserves, and learned weights help on some draws and not on
others. A floor on the noise (``UncertaintyWeights(floor=...)``) limits that.
"""

import numpy as np

from skmtl import MeanRegularizedRegressor, UncertaintyWeights

noise = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 5.0, 5.0])
sizes = [16, 100, 100, 100, 100, 100, 100]
models = {
    "main task alone": dict(),
    "equal weights": dict(),
    "uncertainty weights": dict(task_weights="uncertainty"),
    "uncertainty, floor 0.4": dict(task_weights=UncertaintyWeights(floor=0.4)),
}
scores = {name: [] for name in models}
main_noise = []  # the main task's learned noise level in each draw
for seed in range(10):
    rng = np.random.RandomState(seed)
    coef = rng.randn(10) + 0.1 * rng.randn(7, 10)  # related tasks
    tasks = np.repeat(np.arange(7), sizes)
    X = rng.randn(len(tasks), 10)
    y = np.einsum("ij,ij->i", X, coef[tasks]) + noise[tasks] * rng.randn(len(tasks))
    X_test = rng.randn(500, 10)
    y_test = X_test @ coef[0] + noise[0] * rng.randn(500)
    for name, params in models.items():
        model = MeanRegularizedRegressor(alpha=1.0, beta=0.01, main_task=0, **params)
        rows = tasks == 0 if name == "main task alone" else slice(None)
        model.fit(X[rows], y[rows], tasks=tasks[rows])
        scores[name].append(model.score(X_test, y_test, tasks=np.zeros(500, dtype=int)))
        if name == "uncertainty weights":
            learned = model
            main_noise.append(model.task_noise_[0])

print("held-out R2 on the main task, mean (min) over 10 draws")
for name, values in scores.items():
    print(f"  {name:<24} {np.mean(values):.3f} ({np.min(values):.3f})")
print("true noise:   ", noise)
print("learned noise, last draw:", np.round(learned.task_noise_, 2))
print(
    f"main task's learned noise over the draws: {min(main_noise):.2f} to "
    f"{max(main_noise):.2f} (true {noise[0]})"
)
