"""Build the example notebooks from the cell sources in this file.

The ``.ipynb`` files are generated: edit the cells below, then run

    python notebooks/build.py          # write notebooks/*.ipynb (no outputs)
    python notebooks/build.py --check  # exit 1 if a notebook differs from this script

Notebooks are written without outputs and with fixed cell ids, so rebuilding is deterministic
and git diffs show only real changes. ``tests/test_notebooks.py`` checks that the committed
files match this script, carry no outputs, and execute top to bottom.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
Cell = tuple[str, str]
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                   "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def md(text: str) -> Cell:
    """A markdown cell."""
    return ("markdown", textwrap.dedent(text).strip())


def code(text: str) -> Cell:
    """A code cell."""
    return ("code", textwrap.dedent(text).strip())


# --------------------------------------------------------------------------- 01 quickstart
def quickstart() -> list[Cell]:
    return [
        md("""
        # 01 · Quickstart: make a game, play it with scripted and LLM agents

        This notebook walks through the core loop of agora:

        1. **make** a game and inspect its action spec, theory and prompts;
        2. **play** it by hand through the standard PettingZoo API;
        3. **run** many instances at once with scripted reference players;
        4. **run** it with LLM agents on the embedded CPU model (SmolLM2-135M-Instruct through
           llama.cpp) and look at the decision records.

        Sizes are tiny so that the notebook runs in well under a minute on two CPU cores. A
        135M-parameter model is a smoke-test agent, not a claim about what LLMs do: point
        `LLMPolicy` at a real model (vLLM on a GPU, or any OpenAI-compatible server) for
        experiments.
        """),
        code("""
        %matplotlib inline
        import numpy as np
        import polars as pl

        import agora

        agora.list_games()
        """),
        md("""
        ## 1. Make a game

        `agora.make(name, **config)` returns a PettingZoo `ParallelEnv`. Config fields are
        validated: a typo or a value of the wrong type is a clear error. Here: a p-beauty contest
        (Nagel 1995): five players guess a whole number in [0, 100]; the guess closest to 2/3 of
        the average wins. Two rounds, with feedback after each.
        """),
        code("""
        env = agora.make("p_beauty", n_players=5, p=2 / 3, rounds=2)
        env.config
        """),
        code("""
        print("agents:", env.possible_agents)
        print("action space:", env.action_space("player_0"))
        spec = env.kernel.action_spec(0)
        spec
        """),
        md("""
        The action spec is what every policy decides against. For LLM agents it is also the
        JSON schema the model's answer is constrained to, so every answer parses to a legal
        action:
        """),
        code("""
        spec.json_schema()
        """),
        md("""
        ## 2. Theory: equilibria and bounded-rationality benchmarks

        Every game ships a `theory` module next to its rules. For the beauty contest it has the
        symmetric Nash equilibria (0 and 1 with integer guesses), level-k guesses `50·p^k` and
        Poisson cognitive-hierarchy steps (Camerer, Ho & Chong 2004).
        `agora.analysis.equilibria.benchmark` gathers them in one table.
        """),
        code("""
        from agora.analysis.equilibria import benchmark

        theory = env.kernel.theory
        print("symmetric equilibria:", theory.symmetric_equilibria(env.config))
        print("level-1..3 guesses:", [theory.level_k_action(env.config, k) for k in (1, 2, 3)])
        print("CH(tau=1.5) steps 0..5:", theory.ch_actions(env.config, 1.5, 5).round(1))
        print()
        for label, value in benchmark("p_beauty", env.config).as_rows():
            print(f"{label:28s} {value}")
        """),
        md("""
        ## 3. What an LLM agent reads

        The rules are the system message (identical for every agent of a role, so an engine's
        prefix cache reuses them across the batch); the user message holds the persona (if
        any), the agent's situation and history, and the answer format.
        """),
        code("""
        prompts = env.kernel.prompts
        print(prompts.rules(env.config, "player"))
        print("---")
        print(prompts.situation(env.config, env.kernel.observe(0, 0)))
        print(prompts.answer_instruction(spec))
        """),
        md("""
        ## 4. Play by hand through the PettingZoo API

        Any PettingZoo loop works. Here players 0..4 play level-1, 2, 3, 1, 2 guesses.
        """),
        code("""
        observations, infos = env.reset(seed=0)
        levels = {agent: 1 + i % 3 for i, agent in enumerate(env.possible_agents)}
        while env.agents:
            actions = {a: int(theory.level_k_action(env.config, levels[a])) for a in env.agents}
            observations, rewards, terminations, truncations, infos = env.step(actions)
            print(actions, "->", rewards)
        env.kernel.observe(0, 0).history[-1]
        """),
        md("""
        ## 5. Many instances with scripted policies

        `agora.run` steps `n_instances` copies of a game in lockstep with **one policy call per
        step** for every agent of every instance. A policy mixture is seated by exact shares.
        The result is a tidy polars table with one row per decision, plus a manifest (config,
        seed, package versions, git commit) when `out=` names a run directory.
        """),
        code("""
        from agora.policies import LevelKPolicy, RandomPolicy

        scripted = agora.run(
            "p_beauty",
            policy=[(LevelKPolicy(1), 0.4), (LevelKPolicy(2), 0.3), (RandomPolicy(), 0.3)],
            n_instances=50, n_players=10, rounds=3, seed=1, progress=False,
            out="runs/quickstart_scripted",
        )
        scripted.records.head()
        """),
        code("""
        (scripted.records.group_by("policy", "round")
         .agg(pl.len().alias("decisions"), pl.col("action").mean().alias("mean_guess"),
              pl.col("reward").mean().alias("mean_payoff"))
         .sort("policy", "round"))
        """),
        md("""
        Level-2 players win most often against this mixture: the mean guess is about 35, so
        the target is about 23. A run directory can be reloaded later (`agora.load_run`);
        `agora show runs/quickstart_scripted` prints the same summary from the shell.
        """),
        code("""
        from agora.analysis import plots
        from agora.cli.show import render

        loaded = agora.load_run("runs/quickstart_scripted")
        print(render(loaded))
        first = loaded.records.filter(pl.col("round") == 0)["action"].to_numpy()
        plots.guess_histogram(first, p=2 / 3, equilibrium=0.0, title="Scripted mixture, round 1")
        """),
        md("""
        ## 6. LLM agents on the embedded model

        `LLMPolicy()` without a backend uses the default one: the embedded llama.cpp model on
        the CPU. To switch without code changes set `AGORA_BACKEND=vllm` and `AGORA_MODEL=...`
        (in-process vLLM on a GPU) or `AGORA_POLICY_SERVER=http://host:port/v1` (any
        OpenAI-compatible server); or pass a backend: `LLMPolicy(make_backend("vllm",
        model=...))` with `agora.llm.make_backend`. Each step is one batched `generate` call;
        answers are constrained to the action's JSON schema, parsed, re-asked once if unusable,
        and every decision records how it was obtained (`parse_status`), the raw text, tokens
        and latency.
        """),
        code("""
        from agora.policies import LLMPolicy

        llm = LLMPolicy(temperature=0.0)
        llm_run = agora.run("p_beauty", policy=llm, n_instances=1, n_players=5, seed=0,
                            progress=False)
        llm_run.records.select("agent", "action", "reward", "parse_status", "raw_text",
                               "tokens_in", "tokens_out", "latency_s")
        """),
        md("""
        LLM and scripted agents can share a game; the `policy` column tells them apart.
        """),
        code("""
        mixed = agora.run("p_beauty", policy=[(llm, 0.5), (LevelKPolicy(2), 0.5)],
                          n_instances=1, n_players=4, seed=2, progress=False)
        mixed.records.select("agent", "policy", "action", "reward", "parse_status")
        """),
        md("""
        Personas enter the user message. Here two census personas (see
        `02_population.ipynb`) play the dictator role of a $10 dictator game; the recipients
        (slot 1) have no persona (`-1`).
        """),
        code("""
        from agora import Personas
        from populations import persona_texts, synthesize

        people = synthesize(2, seed=3, filters={"age": (25, 70)})
        texts = persona_texts(people)
        seats = Personas(ids=np.array([[0, -1], [1, -1]]), texts=texts, table=people)
        dictators = agora.run("dictator", policy=llm, n_instances=2, personas=seats, seed=0,
                              progress=False)
        for text in texts:
            print(text, end="\\n\\n")
        dictators.records.select("instance", "role", "persona_id", "age", "action",
                                 "share_given", "parse_status")
        """),
        code("""
        llm.telemetry()
        """),
        md("""
        ## Next

        * `02_population.ipynb`: synthesize and validate a census population, persona prompts,
          social graphs.
        * `03_analysis.ipynb`: fit rationality parameters with confidence intervals, compare
          with human data, plot.
        * `04_tax_policy.ipynb`: tax schedules and welfare with best-responding workers.
        """),
    ]


# --------------------------------------------------------------------------- 02 population
def population() -> list[Cell]:
    return [
        md("""
        # 02 · A census population: synthesize, validate, describe

        Agents in agora can play as *personas*: synthetic people drawn from the American
        Community Survey (ACS 2019 PUMS microdata excerpts shipped with the package). A
        population is made by

        1. **raking** the microdata weights to published ACS tables (age × sex, income, ...),
        2. **resampling** persons in proportion to the raked weights (systematic PPS, stratified
           by the raking fields, state, PUMA, age band and sex),
        3. **drawing** weekly hours, an hourly wage and Big Five / risk traits per persona.

        This notebook makes one, checks it against the census marginals and the microdata,
        turns personas into prompt text and puts them on a social graph.
        """),
        code("""
        %matplotlib inline
        import networkx as nx
        import numpy as np
        import polars as pl
        from matplotlib.figure import Figure

        import agora
        from populations import (
            Margin,
            Persona,
            PopulationConfig,
            PopulationModel,
            draw_population,
            load_targets,
            persona_texts,
            synthesize,
            validate,
        )
        """),
        md("""
        ## 1. Census targets

        Published ACS 2018 1-year tables for the United States (also shipped: Texas and
        Massachusetts). Each margin gives the shares of its cells among the persons in its
        universe (e.g. education among persons 25 and over).
        """),
        code("""
        targets = load_targets("national", ("age_sex", "income", "education"))
        pl.DataFrame([{"margin": m.name, "fields": " x ".join(m.fields), "cells": len(m.shares),
                       "universe": f"ages {m.min_age}+", "source": m.source}
                      for m in targets.margins])
        """),
        md("""
        ## 2. Synthesize

        `draw_population` returns the personas together with the raked reference they were
        drawn from (`synthesize` returns the frame only). The same `n`, `seed`, filters and
        targets always give the same population.
        """),
        code("""
        synthesis = draw_population(20_000, seed=0, targets=targets)
        personas = synthesis.personas
        raking = synthesis.reference.raking
        print(synthesis.reference.description)
        print(f"effective sample size {raking.effective_sample_size_before:,.0f} -> "
              f"{raking.effective_sample_size_after:,.0f}; {synthesis.seconds:.2f} s")
        personas.select("persona_id", "age", "sex", "state", "education_level", "industry",
                        "income", "hours_per_week", "wage", "risk_taking").head()
        """),
        md("""
        ## 3. Validate against the census marginals

        For every target margin: the synthetic shares of its cells (among the personas in its
        universe) against the published shares, as a total variation distance (TVD, half the
        sum of absolute differences) and the largest cell error.
        """),
        code("""
        def margin_check(frame: pl.DataFrame, margin: Margin) -> dict[str, object]:
            universe = (frame.filter(pl.col("age") >= margin.min_age)
                        .drop_nulls(list(margin.fields)))
            counts = universe.group_by(margin.fields).len()
            synthetic = {tuple(str(v) for v in row[:-1]): row[-1] / universe.height
                         for row in counts.iter_rows()}
            cells = set(synthetic) | set(margin.shares)
            diffs = [abs(synthetic.get(c, 0.0) - margin.shares.get(c, 0.0)) for c in cells]
            return {"margin": margin.name, "cells": len(margin.shares), "personas": universe.height,
                    "tvd": 0.5 * sum(diffs), "max_cell_error": max(diffs)}


        pl.DataFrame([margin_check(personas, m) for m in targets.margins])
        """),
        code("""
        age_sex = targets.margins[0]
        census = pl.DataFrame([{"age_band": k[0], "sex": k[1], "census": v}
                               for k, v in age_sex.shares.items()])
        synthetic = (personas.group_by("age_band", "sex").len()
                     .with_columns(pl.col("age_band", "sex").cast(pl.String),
                                   synthetic=pl.col("len") / personas.height))
        table = census.join(synthetic, on=["age_band", "sex"]).sort("sex", "age_band")

        fig = Figure(figsize=(8, 3.5), layout="constrained")
        for ax, sex in zip(fig.subplots(1, 2, sharey=True), ("Female", "Male"), strict=True):
            part = table.filter(pl.col("sex") == sex)
            x = np.arange(part.height)
            ax.bar(x - 0.2, part["census"], width=0.4, label="ACS 2018 table B01001")
            ax.bar(x + 0.2, part["synthetic"], width=0.4, label="synthetic personas")
            ax.set_xticks(x, part["age_band"].to_list(), rotation=45)
            ax.set_title(sex)
        ax.legend(fontsize=8)
        fig.suptitle("Age x sex: census shares vs 20,000 synthetic personas")
        fig
        """),
        md("""
        ## 4. Validate against the microdata (`ValidationReport`)

        `validate` compares the personas with the weighted microdata they were drawn from, on
        variables that were *not* raking targets too: TVD of 12 marginals and 5 pairs, income
        P10/P50/P90 and the Gini coefficient. The 1 % TVD tolerance is tight: fine-grained
        cells such as state × age band (144 cells) still carry sampling noise at 20,000
        personas, so a check or two can miss it by a hair; at 50,000 personas all pass.
        """),
        code("""
        report = validate(personas, reference=synthesis)
        print("all checks within tolerance:", report.passed)
        (report.table.with_columns((pl.col("error") / pl.col("tolerance")).alias("of_tolerance"))
         .sort("of_tolerance", descending=True).head(8))
        """),
        code("""
        paths = report.save("runs/population_validation")  # parquet, json and png
        report.figure()
        """),
        md("""
        ## 5. Persona prompts

        `persona_texts` renders personas as second-person descriptions; the LLM policy puts
        the text at the top of each agent's user message. `Persona` is the typed view of one
        row.
        """),
        code("""
        for text in persona_texts(personas.head(3)):
            print(text, end="\\n\\n")
        Persona.from_frame(personas, 2)
        """),
        code("""
        env = agora.make("dictator", endowment=10.0)
        env.reset(seed=0)
        kernel = env.kernel
        print("SYSTEM:", kernel.prompts.rules(kernel.config, "dictator"))
        print()
        print("USER:", persona_texts(personas.head(1))[0])
        print(kernel.prompts.situation(kernel.config, kernel.observe(0, 0)))
        print(kernel.prompts.answer_instruction(kernel.action_spec(0)))
        """),
        md("""
        ## 6. A social graph

        `PopulationModel` (a Mesa model) places personas on an interaction graph: complete,
        ring, small world, scale free, or *homophily* (a stochastic block model whose blocks
        are the values of a persona field). Here 200 adults, linked mostly within their
        education level.
        """),
        code("""
        adults = synthesize(200, seed=1, filters={"age": (18, 99)})
        config = PopulationConfig(graph="homophily", k=6, homophily_field="education_level",
                                  homophily=0.8, matchmaker="graph")
        model = PopulationModel(adults, config, seed=0)
        graph = model.graph
        education = adults["education_level"].cast(pl.String).fill_null("n/a").to_list()


        def describe(g: nx.Graph) -> dict[str, float]:
            same = np.mean([education[u] == education[v] for u, v in g.edges()])
            return {"edges": g.number_of_edges(),
                    "mean_degree": 2 * g.number_of_edges() / g.number_of_nodes(),
                    "clustering": nx.average_clustering(g), "same_education_ties": same}


        shares = np.unique(education, return_counts=True)[1] / len(education)
        print(f"same-education ties expected at random: {np.sum(shares**2):.2f}")
        rows = []
        for kind in ("ring", "small_world", "scale_free", "homophily"):
            g = PopulationModel(adults, PopulationConfig(graph=kind, k=6, m=3), seed=0).graph
            rows.append({"graph": kind, **describe(g)})
        pl.DataFrame(rows)
        """),
        code("""
        levels = sorted(set(education))
        palette = {level: f"C{i}" for i, level in enumerate(levels)}
        fig = Figure(figsize=(7, 6), layout="constrained")
        ax = fig.add_subplot()
        nx.draw_networkx(graph, pos=nx.spring_layout(graph, seed=0), ax=ax, node_size=25,
                         node_color=[palette[e] for e in education], width=0.3,
                         with_labels=False)
        for level, colour in palette.items():
            ax.scatter([], [], color=colour, s=25, label=level)
        ax.legend(fontsize=7, loc="lower left")
        ax.set_title("Homophily graph: 200 personas coloured by education level")
        ax.set_axis_off()
        fig
        """),
        md("""
        ## 7. Matchmaking and a population run

        With `population=`, `agora.run` rematches personas into groups every round (here by
        the graph: connected pairs), seats them, and joins their attributes into the records.
        With an LLM policy each persona's text, plus a sentence on its neighbours' last
        outcomes (`social_info=True`), goes into its prompt. A scripted policy keeps this cell
        fast.
        """),
        code("""
        from agora.analysis.subgroups import subgroup_table
        from agora.policies import RandomPolicy

        print("first groups:", model.match(2)[:3].tolist())
        run = agora.run("dictator", population=model, policy=RandomPolicy(), rounds=3, seed=0,
                        progress=False)
        run.records.select("population_round", "instance", "role", "persona_id", "age",
                           "education", "action", "reward").head()
        """),
        code("""
        print(model.neighbour_summary([0])[0])
        model.metrics()
        """),
        code("""
        subgroup_table(run.records, "education", n_boot=50, rng=0)
        """),
    ]


# --------------------------------------------------------------------------- 03 analysis
def analysis() -> list[Cell]:
    return [
        md("""
        # 03 · Analysis: rationality fits, human baselines, plots

        From a finished run to the numbers a paper needs: fitted bounded-rationality
        parameters with bootstrap confidence intervals, a test against published human data,
        and figures. Everything here works on the record table of any p-beauty run; the same
        functions back `agora report`.
        """),
        code("""
        %matplotlib inline
        from pathlib import Path

        import numpy as np
        import polars as pl

        import agora
        from agora.analysis import baselines, plots, rationality
        from agora.analysis.equilibria import theory_module
        from agora.analysis.estimate import mean_estimate
        from agora.policies import CognitiveHierarchyPolicy, LLMPolicy
        """),
        md("""
        ## 1. Run or load

        If the README's main job has been run (`agora run experiments/p_beauty_llm.toml --out
        runs/p_beauty_llm`) this notebook analyses it. Otherwise it makes a small scripted run
        with a **known truth**: Poisson cognitive-hierarchy players with τ = 1.5, so the fits
        below can be checked against the parameter that generated the data.
        """),
        code("""
        candidates = [Path("runs/p_beauty_llm"), Path("../runs/p_beauty_llm")]
        found = [d for d in candidates if (d / "records.parquet").is_file()]
        if found:
            run_dir = found[0]
        else:
            run_dir = Path("runs/analysis_ch")
            agora.run("p_beauty", policy=CognitiveHierarchyPolicy(tau=1.5), n_instances=20,
                      n_players=10, rounds=4, p=2 / 3, seed=0, progress=False, out=run_dir)
        result = agora.load_run(run_dir)
        config = agora.make("p_beauty", **result.manifest["config"]).config
        theory = theory_module("p_beauty")
        records = result.records
        first = records.filter(pl.col("round") == 0)
        guesses = first["action"].to_numpy()
        print(run_dir, "|", result.manifest["policies"], "|", config)
        """),
        md("""
        ## 2. Fit rationality parameters (first round)

        * **Cognitive hierarchy** (Camerer, Ho & Chong 2004): τ by maximum likelihood with a
          noise σ fitted jointly; percentile bootstrap interval.
        * **Level-k mixture** by EM: the weight of level 0 (uniform) and levels 1..6 (`50·p^k`
          plus noise).
        * **Nagel (1995) intervals**: the share of guesses near each level.
        * **Logit response** λ (McKelvey & Palfrey 1995) against level-0 beliefs.

        Bootstrap replicates are kept small here; reports default to 200.
        """),
        code("""
        tau = rationality.fit_cognitive_hierarchy(guesses, p=config.p, lower=config.lower,
                                                  upper=config.upper, n_boot=100, rng=0)
        grid = np.arange(config.lower, config.upper + 1)
        utilities = theory.action_utilities(config, grid)  # distance payoff, level-0 belief
        lam = rationality.fit_logit_qre(guesses, grid=grid, utilities=utilities, n_boot=100,
                                        rng=0)
        mean = mean_estimate(guesses, name="mean guess", rng=0)
        estimates = pl.DataFrame([e.as_dict() for e in (tau, lam, mean)]).select(
            "name", "value", "ci_low", "ci_high", "n", "method")
        print(tau)
        estimates
        """),
        code("""
        mixture = rationality.fit_level_k_mixture(guesses, p=config.p, lower=config.lower,
                                                  upper=config.upper, n_boot=30, rng=0)
        print("Nagel level-k shares:", rationality.level_k_shares(guesses, config.p))
        pl.DataFrame(mixture.table())
        """),
        md("""
        Over rounds: the distance to the equilibrium (0) by instance and round, and the
        fitted geometric convergence rate ρ (distance_t ∝ ρ^t). Scripted CH players do not
        learn, so ρ ≈ 1; Nagel's subjects roughly halve the distance every round.
        """),
        code("""
        eq = float(theory.equilibrium_action(config))
        distance = (records.with_columns((pl.col("action") - eq).abs().alias("d"))
                    .group_by("instance", "round").agg(pl.col("d").mean())
                    .pivot(on="round", index="instance", values="d").sort("instance"))
        matrix = distance.drop("instance").to_numpy()
        print(rationality.convergence_rate(matrix, n_boot=100, rng=0))
        """),
        md("""
        ## 3. Compare with humans

        Packaged baselines (provenance in `agora/analysis/data/PROVENANCE.md`): Nagel (1995)
        beauty contests, Forsythe et al. (1994) dictator and ultimatum games, Engel (2011) and
        Oosterbeek et al. (2004) meta-analyses. `default_baseline` picks the Nagel treatment
        with the closest `p`.
        """),
        code("""
        print(baselines.list_baselines())
        nagel = baselines.load_baseline(
            baselines.default_baseline("p_beauty", result.manifest["config"]))
        print(nagel.description, "|", nagel.citation)
        comparison = baselines.compare(records, nagel, result.manifest["config"])
        for label, value in comparison.as_rows():
            print(f"{label:60s} {value}")
        """),
        md("""
        ## 4. Plots

        Every figure function returns a matplotlib `Figure` (no global pyplot state), so it
        renders here and embeds in HTML reports alike.
        """),
        code("""
        plots.guess_histogram(guesses, p=config.p, lower=config.lower, upper=config.upper,
                              baseline=nagel, equilibrium=eq)
        """),
        code("""
        rows = []
        for (r,), part in records.group_by(["round"], maintain_order=True):
            by_instance = part.group_by("instance").agg(pl.col("action").mean())["action"]
            e = mean_estimate(by_instance.to_numpy(), n_boot=100, rng=0)
            rows.append({"round": r, "mean": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high,
                         "median": part["action"].median()})
        by_round = pl.DataFrame(rows).sort("round")
        plots.convergence(by_round, equilibrium=eq, human=nagel.by_round,
                          value_label="mean guess")
        """),
        md("""
        ## 5. The same pipeline on LLM agents

        Twelve embedded-model agents (temperature 1, two groups of six). With so few guesses
        the intervals are wide, and a fit that lands on a bound of its parameter (τ at its
        maximum, λ = 0) says that the model does not describe these guesses: both are reasons
        to report intervals and fit diagnostics, not point values alone. (SmolLM2-135M is a
        smoke-test agent; use a real model through vLLM for findings.)
        """),
        code("""
        llm_run = agora.run("p_beauty", policy=LLMPolicy(temperature=1.0), n_instances=2,
                            n_players=6, p=2 / 3, seed=0, progress=False)
        llm_guesses = llm_run.records["action"].to_numpy()
        print("guesses:", llm_guesses.tolist())
        print(rationality.fit_cognitive_hierarchy(llm_guesses, p=2 / 3, n_boot=50, rng=0))
        print(rationality.fit_logit_qre(llm_guesses, grid=grid, utilities=utilities, n_boot=50,
                                        rng=0))
        for label, value in baselines.compare(llm_run.records, nagel, {"p": 2 / 3}).as_rows():
            print(f"{label:60s} {value}")
        """),
        md("""
        ## 6. The full report

        `write_report` (the `agora report RUN_DIR` command) runs all of the above and more
        (welfare, regret, subgroups) into a self-contained HTML file with a Markdown twin.
        """),
        code("""
        from agora.analysis.report import write_report

        html, markdown = write_report(result, out="runs/analysis_report.html", n_boot=30)
        print(html, html.stat().st_size, "bytes")
        """),
    ]


# --------------------------------------------------------------------------- 04 tax policy
def tax_policy() -> list[Cell]:
    return [
        md("""
        # 04 · Tax policy: schedules, best responses and welfare

        The `tax_planner` game (after the LLM Economist, Karten et al. 2025, and the AI
        Economist) is a Stackelberg economy: a planner sets one marginal rate per income
        bracket, workers choose weekly hours, revenue is rebated equally. Workers here **best
        respond** exactly (quasilinear utility `u = x − c·l^δ`, c = 0.0005, δ = 3.5, so the
        elasticity of taxable income is 1/(δ − 1) = 0.4), and skills are hourly wages of
        census workers.

        We compare four schedules: the 2025 U.S. federal brackets, a flat tax, Saez (2001)
        rates at their fixed point, and the numerical Stackelberg optimum, first statically,
        then as planners playing the game over tax years.
        """),
        code("""
        %matplotlib inline
        import numpy as np
        import polars as pl
        from matplotlib.figure import Figure

        import agora
        from agora.analysis import plots
        from agora.analysis.equilibria import pareto_tail_parameter
        from games.tax_planner import TaxConfig, theory
        from games.tax_planner.metrics import year_table
        from games.tax_planner.population import census_workers
        """),
        md("""
        ## 1. Census workers

        100 synthetic persons aged 18-64 who worked in the last five years; their imputed
        hourly wage is their skill. With LLM workers their persona text would go into the
        prompt.
        """),
        code("""
        workforce = census_workers(100, seed=0)
        skills = workforce.skills
        print(workforce.texts[0])
        print("hourly wage quantiles (10/50/90 %):", np.quantile(skills, [0.1, 0.5, 0.9]).round(1))
        config = TaxConfig(n_workers=len(workforce), skills=tuple(skills.tolist()), tax_years=4,
                           steps_per_year=1)
        print("brackets (upper thresholds):", config.thresholds)
        print("U.S. 2025 rates:", config.initial_rates)
        print("elasticity of taxable income:", theory.taxable_income_elasticity(config))
        """),
        md("""
        ## 2. Four schedules

        * **U.S.**: 10 % ... 37 % (single filer, 2025).
        * **Flat**: 30 % on all income.
        * **Saez**: each bracket gets `(1 − G)/(1 − G + a·e)` with its local Pareto parameter
          `a` and mean welfare weight `G` above its threshold, iterated with the incomes the
          rates induce until it settles.
        * **Stackelberg**: rates maximising the planner's objective (inverse-income weighted
          utility, the LLM Economist's) given best responses; bounded Powell search from the
          best of the other schedules, so it is never worse than any of them.
        """),
        code("""
        thresholds = (*config.thresholds, np.inf)
        optimum = theory.stackelberg_optimum(skills, config, max_evaluations=800)
        schedules = {
            "U.S. 2025": np.asarray(theory.us_brackets(2025)[1]),
            "flat 30%": np.full(config.n_brackets, 0.3),
            "Saez": theory.saez_schedule(skills, config),
            "Stackelberg": optimum.rates,
        }
        print(f"Stackelberg search: {optimum.evaluations} evaluations from {optimum.start!r}")
        pl.DataFrame({name: rates.round(3) for name, rates in schedules.items()}).with_columns(
            pl.Series("bracket up to", [f"{t:,.0f}" for t in thresholds])).select(
            "bracket up to", *schedules)
        """),
        code("""
        us_income = theory.equilibrium(skills, schedules["U.S. 2025"], config).income
        top = config.thresholds[3]
        a = pareto_tail_parameter(us_income, top)
        saez_top = theory.saez_top_rate(a, theory.taxable_income_elasticity(config))
        print(f"Pareto parameter above ${top:,.0f}: a = {a:.2f}; "
              f"revenue-maximising top rate {saez_top:.1%}")
        others = {name: (thresholds, rates) for name, rates in schedules.items()
                  if name != "U.S. 2025"}
        plots.tax_schedule(thresholds, schedules["U.S. 2025"], label="U.S. 2025", others=others,
                           saez_rate=saez_top, title="Marginal rates by bracket")
        """),
        md("""
        ## 3. Welfare with best-responding workers

        `theory.equilibrium` solves every worker's hours exactly (concave utility on each
        bracket, best of the bracket-wise optima) and the equal rebate. Welfare: the planner's
        inverse-income objective `Σ uᵢ/zᵢ` (zᵢ the worker's no-tax income) and the utilitarian
        sum; plus revenue, hours, post-tax Gini and a deadweight-loss proxy.
        """),
        code("""
        outcomes = {name: theory.equilibrium(skills, rates, config)
                    for name, rates in schedules.items()}
        pl.DataFrame([{
            "schedule": name,
            "welfare (inverse income)": float(o.welfare_inverse_income),
            "welfare (utilitarian)": float(o.welfare_utilitarian),
            "revenue per worker": float(o.revenue) / len(skills),
            "mean weekly hours": float(o.hours.mean()),
            "Gini post-tax": float(o.gini_post),
            "deadweight loss": float(o.dwl),
        } for name, o in outcomes.items()])
        """),
        md("""
        The objective decides the answer. With quasilinear utility a dollar is worth the same
        to everyone, so the **utilitarian** planner gains nothing from redistribution and only
        loses output to distortion: its optimum is no tax at all. The inverse-income objective
        weighs low earners' utility more and taxes heavily to fund the rebate.
        """),
        code("""
        utilitarian = theory.stackelberg_optimum(skills, config, "utilitarian", max_evaluations=400)
        print("utilitarian optimum:", utilitarian.rates.round(3))
        rates = np.linspace(0.0, 0.9, 19)
        sweep = [theory.equilibrium(skills, np.full(config.n_brackets, r), config) for r in rates]
        fig = Figure(figsize=(9, 3.5), layout="constrained")
        left, right = fig.subplots(1, 2)
        left.plot(rates, [float(o.welfare_inverse_income) for o in sweep], "ko-", ms=3,
                  label="flat rate (x axis)")
        right.plot(rates, [float(o.welfare_utilitarian) for o in sweep], "ko-", ms=3)
        for i, (name, o) in enumerate(outcomes.items()):
            left.axhline(float(o.welfare_inverse_income), ls="--", color=f"C{i}", label=name)
            right.axhline(float(o.welfare_utilitarian), ls="--", color=f"C{i}")
        left.set(xlabel="flat rate", ylabel="Σ u / z", title="Inverse-income welfare")
        right.set(xlabel="flat rate", ylabel="Σ u", title="Utilitarian welfare")
        left.legend(fontsize=8)
        fig
        """),
        code("""
        order = np.argsort(skills)
        fig = Figure(figsize=(6.4, 4), layout="constrained")
        ax = fig.add_subplot()
        for name, o in outcomes.items():
            ax.plot(skills[order], o.hours[order], label=name)
        ax.set(xscale="log", xlabel="hourly wage ($)", ylabel="best-response weekly hours",
               title="Labour supply under each schedule")
        ax.legend(fontsize=8)
        fig
        """),
        code("""
        plots.lorenz_curves({name: np.maximum(o.post_tax, 0) for name, o in outcomes.items()},
                            title="Post-tax income (with rebate)")
        """),
        md("""
        ## 4. Planners playing the game

        Now the schedules are policies in the `tax_planner` game: each tax year the planner
        proposes rates (at most 20 points from last year's), then workers choose hours. The
        Saez planner recomputes rates from last year's observed incomes; the Stackelberg
        planner heads for the optimum; both are slowed by the change cap. (An LLM planner is
        `agora.policies.tax.llm_planner()`; see `experiments/tax_planner_saez.py`.)
        """),
        code("""
        from agora.policies.tax import (
            BestResponseWorker,
            ByRolePolicy,
            FlatPlanner,
            SaezPlanner,
            StackelbergPlanner,
            USPlanner,
        )

        planners = {"U.S. 2025": USPlanner(), "flat 30%": FlatPlanner(0.3), "Saez": SaezPlanner(),
                    "Stackelberg": StackelbergPlanner(max_evaluations=800)}
        years = []
        for name, planner in planners.items():
            policy = ByRolePolicy(worker=BestResponseWorker(), planner=planner)
            run = agora.run("tax_planner", policy=policy, config=config, seed=0, progress=False)
            years.append(year_table(run.records).with_columns(planner=pl.lit(name)))
        years = pl.concat(years)
        (years.select("planner", "tax_year", "rate_1", "rate_4", "rate_7", "mean_hours",
                      "welfare_inverse_income", "gini_post")
         .with_columns(pl.selectors.float().round(3)))
        """),
        code("""
        plots.welfare_over_time(
            {name: part.sort("tax_year")["welfare_inverse_income"].to_list()
             for (name,), part in years.group_by(["planner"], maintain_order=True)},
            ylabel="Σ u / z (inverse-income welfare)")
        """),
    ]


NOTEBOOKS: dict[str, Callable[[], list[Cell]]] = {
    "01_quickstart.ipynb": quickstart,
    "02_population.ipynb": population,
    "03_analysis.ipynb": analysis,
    "04_tax_policy.ipynb": tax_policy,
}


def make_notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    """A v4.5 notebook of ``cells`` with ids ``cell-00``, ``cell-01``, ... and no outputs."""
    nb = nbformat.v4.new_notebook(metadata=METADATA)
    for i, (kind, source) in enumerate(cells):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(new(source, id=f"cell-{i:02d}"))
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    """The file text of notebook ``name``."""
    return nbformat.writes(make_notebook(NOTEBOOKS[name]())) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a notebook on disk differs from this script")
    parser.add_argument("--out", type=Path, default=HERE, help="directory of the notebooks")
    args = parser.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path, text = args.out / name, render(name)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python notebooks/build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
