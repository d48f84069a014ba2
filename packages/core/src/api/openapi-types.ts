// GENERATED from the gateway's OpenAPI document by openapi-typescript; do not edit.
// regenerate with: ./sppo exec node services/gateway/src/build/generate.ts

export interface paths {
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant of the API key (the dashboard signs in with it) */
        get: operations["getSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's runs, oldest first, with their current round, stage, model and loss type */
        get: operations["listRuns"];
        put?: never;
        /** Create a run and start its round 0 */
        post: operations["createRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** State, current round and stage, shard progress, per-round metrics and timings, failures */
        get: operations["getRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/rounds/{t}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A round's manifest, metrics (with the trainer's log_history) and links (S3 keys) to its shards and checkpoint */
        get: operations["getRound"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/rounds/{t}/samples": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A page of the round's triplet rows (prompt, chosen, rejected, the K responses with their win rates), read from its S3 shards */
        get: operations["listSamples"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/prompts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Append prompts to the run's pool for later rounds */
        post: operations["addPrompts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop starting new work */
        post: operations["cancelRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Continue a cancelled or failed run from what exists */
        post: operations["resumeRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["getLiveness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: configuration, S3 bucket and the four queues */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        RunConfig: {
            /**
             * @description Base checkpoint (round 0 policy): an S3 prefix in the run bucket or a local folder holding an HF-style checkpoint (ARCHITECTURE 3.4).
             * @default models/base
             */
            model_name_or_path?: string;
            /** @description Jinja chat template overriding the checkpoint's tokenizer_config.json chat_template. */
            chat_template?: string;
            /**
             * @description ONNX Runtime execution provider for generation, judging and training: 'cpu', 'cuda' or 'webgpu'.
             * @default cpu
             * @enum {string}
             */
            execution_provider?: "cpu" | "cuda" | "webgpu";
            /**
             * @description Prompt pool: an inline array of strings / {prompt_id?, prompt}, or {key} naming a JSONL object in the bucket. Defaults to a few demo prompts.
             * @default [
             *       "Write a haiku about the sea.",
             *       "Explain why the sky is blue in two sentences.",
             *       "Give three tips for writing clear code.",
             *       "What is the capital of France?",
             *       "Describe a cat to someone who has never seen one.",
             *       "Summarise the rules of chess in one paragraph.",
             *       "Suggest a name for a friendly robot.",
             *       "How do plants make food?"
             *     ]
             */
            prompts?: (string | {
                prompt_id?: string;
                prompt: string;
            })[] | {
                /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                key: string;
            };
            /**
             * @description Prompts used per round; 0 = pool size / num_iterations, i.e. a new disjoint part each round like the official 3 x 20k split (SPPO-REFERENCE 1.5). Wraps around when the pool runs out.
             * @default 0
             */
            prompts_per_iteration?: number;
            /**
             * @description Prompts per generation/judge shard: a round's prompts are split into ceil(prompts_per_iteration / prompts_per_shard) shards, one queue task each.
             * @default 32
             */
            prompts_per_shard?: number;
            /**
             * @description SPPO iterations (rounds); round t trains checkpoint t into checkpoint t+1 (official 3).
             * @default 3
             */
            num_iterations?: number;
            /**
             * @description K responses sampled per prompt; win rates need K >= 2 (official 5).
             * @default 5
             */
            samples_per_prompt?: number;
            /**
             * @description Sampling temperature; 0 = greedy (official 0.7).
             * @default 0.7
             */
            temperature?: number;
            /**
             * @description Nucleus sampling mass in (0, 1] (official 0.9).
             * @default 0.9
             */
            top_p?: number;
            /**
             * @description Keep only the k most likely tokens; 0 turns it off.
             * @default 0
             */
            top_k?: number;
            /**
             * @description Max generated tokens per response (official 2048).
             * @default 2048
             */
            max_new_tokens?: number;
            /** @description Explicit seed per sample k (length samples_per_prompt); unset uses the official 50*k (SPPO-REFERENCE 2.2 step 4). */
            sample_seeds?: number[];
            /**
             * @description 'onnx': the embedded ONNX Runtime decoder; 'openai': an OpenAI-compatible completions server (vLLM, TGI, SGLang).
             * @default onnx
             * @enum {string}
             */
            generation_backend?: "onnx" | "openai";
            /**
             * Format: uri
             * @description Base URL of the OpenAI-compatible server, http:// or https:// only (e.g. http://127.0.0.1:8000/v1); required with generation_backend 'openai'. Deployments may restrict the hosts further.
             */
            openai_base_url?: string;
            /** @description Model name served there; required with generation_backend 'openai'. */
            openai_model?: string;
            /**
             * @description PairRM-style pairwise judge checkpoint: an S3 prefix in the run bucket or a local folder.
             * @default models/judge
             */
            judge_model?: string;
            /**
             * @description Judge's prompt token budget (PairRM source_maxlength 1224).
             * @default 1224
             */
            judge_max_source_tokens?: number;
            /**
             * @description Judge's per-response token budget (PairRM candidate_maxlength 412).
             * @default 412
             */
            judge_max_candidate_tokens?: number;
            /**
             * @description 'official': s_i = mean_j(C_ij - C_ji), P_ij = sigmoid(s_i - s_j) (compute_prob.py); 'direct': P_ij = sigmoid(C_ij - C_ji).
             * @default official
             * @enum {string}
             */
            score_aggregation?: "official" | "direct";
            /**
             * @description 'include_self': mean of P_ij over all K incl. P_ii = 0.5 (official); 'exclude_self': mean over the other K-1.
             * @default include_self
             * @enum {string}
             */
            win_rate_estimator?: "include_self" | "exclude_self";
            /**
             * @description 'extremes': one (argmax, argmin) pair per prompt (official); 'all': every response with its own win rate.
             * @default extremes
             * @enum {string}
             */
            selection?: "extremes" | "all";
            /** @description Evaluation prompts, never trained on: an inline array or {key} of a JSONL/Parquet object, like `prompts`. With eval_prompts or eval_holdout set, every evaluated round compares its new policy with pi_0 and pi_t; unset (and eval_holdout 0) turns evaluation off. */
            eval_prompts?: (string | {
                prompt_id?: string;
                prompt: string;
            })[] | {
                /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                key: string;
            };
            /**
             * @description Hold this many prompts out of the pool at creation (a seeded choice, `seed`) as the evaluation prompts; they never reach a training shard. 0 = none. Not together with eval_prompts.
             * @default 0
             */
            eval_holdout?: number;
            /**
             * @description Responses per evaluation prompt and policy; sample k of pi_{t+1} is compared with sample k of pi_0 and of pi_t (seed 50*k, fixed across rounds).
             * @default 1
             */
            eval_samples_per_prompt?: number;
            /** @description Evaluation sampling temperature; unset = the run's temperature. */
            eval_temperature?: number;
            /** @description Evaluation nucleus mass; unset = the run's top_p. */
            eval_top_p?: number;
            /** @description Evaluation top-k; unset = the run's top_k. */
            eval_top_k?: number;
            /** @description Evaluation max new tokens; unset = the run's max_new_tokens. */
            eval_max_new_tokens?: number;
            /**
             * @description Evaluate checkpoint t+1 when t+1 is a multiple of eval_every; the last checkpoint is always evaluated. 1 = every round.
             * @default 1
             */
            eval_every?: number;
            /**
             * @description Loss: 'sppo' (official, eq. 4.7 on winner and loser with their K-sample win rates), 'sppo_single' (winner-vs-loser probability only), 'sppo_hard' (TRL, hard labels), 'sigmoid' (DPO), 'ipo' (summed log-probs, as the SPPO repo).
             * @default sppo
             * @enum {string}
             */
            loss_type?: "sppo" | "sppo_single" | "sppo_hard" | "sigmoid" | "ipo";
            /**
             * @description beta = 1/eta, eta being the game learning rate of eq. (4.7); the official runs use 0.001 (eta = 1000).
             * @default 0.001
             */
            beta?: number;
            /**
             * @description DPO label smoothing (conservative DPO) for loss_type 'sigmoid'; 0 turns it off. Must be in [0, 0.5].
             * @default 0
             */
            label_smoothing?: number;
            /**
             * @description Peak learning rate (official: 5e-7).
             * @default 5e-7
             */
            learning_rate?: number;
            /**
             * @description Optimizer: 'rmsprop' (official; torch RMSprop with alpha, eps, no momentum) or 'adamw'.
             * @default rmsprop
             * @enum {string}
             */
            optim?: "rmsprop" | "adamw";
            /**
             * @description Decoupled weight decay (HF default 0).
             * @default 0
             */
            weight_decay?: number;
            /**
             * @description AdamW beta1 (HF default 0.9).
             * @default 0.9
             */
            adam_beta1?: number;
            /**
             * @description AdamW beta2 (HF default 0.999).
             * @default 0.999
             */
            adam_beta2?: number;
            /**
             * @description AdamW epsilon (HF default 1e-8).
             * @default 1e-8
             */
            adam_epsilon?: number;
            /**
             * @description RMSprop smoothing constant (torch default 0.99).
             * @default 0.99
             */
            rmsprop_alpha?: number;
            /**
             * @description RMSprop epsilon (torch default 1e-8).
             * @default 1e-8
             */
            rmsprop_epsilon?: number;
            /**
             * @description Clip the global gradient norm to this; 0 turns clipping off.
             * @default 1
             */
            max_grad_norm?: number;
            /**
             * @description Learning-rate schedule after warmup (HF names); official: linear decay to 0.
             * @default linear
             * @enum {string}
             */
            lr_scheduler_type?: "linear" | "cosine" | "constant" | "constant_with_warmup";
            /**
             * @description Fraction of the schedule spent in linear warmup (official 0.1).
             * @default 0.1
             */
            warmup_ratio?: number;
            /**
             * @description Warmup steps; when > 0 it overrides warmup_ratio (HF semantics).
             * @default 0
             */
            warmup_steps?: number;
            /**
             * @description Epochs actually trained per round over that round's triplets (official run scripts: 1).
             * @default 1
             */
            num_train_epochs?: number;
            /** @description If set, the LR schedule (warmup and decay) spans this many epochs while training stops after num_train_epochs: the model cards' "num_train_epochs: 18.0 (stop at epoch=1.0)" reading (SPPO-REFERENCE 2.6). Must be >= num_train_epochs. */
            schedule_num_train_epochs?: number;
            /**
             * @description Pairs per device per micro-batch (official 8).
             * @default 8
             */
            per_device_train_batch_size?: number;
            /**
             * @description Micro-batches accumulated per optimizer step (official 1; global batch 64 came from 8 GPUs).
             * @default 1
             */
            gradient_accumulation_steps?: number;
            /**
             * @description Max prompt + response tokens per sequence (official 1024).
             * @default 1024
             */
            max_length?: number;
            /**
             * @description Max prompt tokens kept when prompt + response exceed max_length (official 512). Must be < max_length.
             * @default 512
             */
            max_prompt_length?: number;
            /** @description Max response tokens; unset means max_length - max_prompt_length (official behaviour). */
            max_completion_length?: number;
            /**
             * @description How a long prompt is cut: 'keep_end' keeps its last tokens (official), 'keep_start' its first.
             * @default keep_end
             * @enum {string}
             */
            truncation_mode?: "keep_end" | "keep_start";
            /**
             * @description Seed for data shuffling and initialisation (official 42).
             * @default 42
             */
            seed?: number;
            /**
             * @description Write resumable trainer state (parameters, optimizer moments, step) every N optimizer steps.
             * @default 50
             */
            save_steps?: number;
            /**
             * @description Log TRL-named metrics every N optimizer steps.
             * @default 1
             */
            logging_steps?: number;
            /**
             * @description Train a LoRA adapter on the frozen pi_t instead of every weight (TRL use_peft). The reference is the same base with the adapter off; the round writes the adapter in PEFT format (adapter/) and the merged checkpoint.
             * @default false
             */
            use_peft?: boolean;
            /**
             * @description LoRA rank r (TRL default 16).
             * @default 16
             */
            lora_r?: number;
            /**
             * @description LoRA alpha; the update is scaled by lora_alpha / lora_r (TRL default 32).
             * @default 32
             */
            lora_alpha?: number;
            /**
             * @description Dropout on the adapter input only, in [0, 1) (TRL default 0.05).
             * @default 0.05
             */
            lora_dropout?: number;
            /**
             * @description Linear modules that get adapters, by HF name: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or 'all-linear' (every projection, not lm_head). Default q_proj,v_proj (PEFT's Llama default).
             * @default [
             *       "q_proj",
             *       "v_proj"
             *     ]
             */
            lora_target_modules?: ("q_proj" | "k_proj" | "v_proj" | "o_proj" | "gate_proj" | "up_proj" | "down_proj" | "all-linear")[];
        };
        /** @description Every error response. */
        Error: {
            error: {
                /**
                 * @description Stable machine-readable code.
                 * @enum {string}
                 */
                code: "invalid_request" | "invalid_config" | "invalid_json" | "unauthorized" | "not_found" | "method_not_allowed" | "conflict" | "payload_too_large" | "unsupported_media_type" | "rate_limit_exceeded" | "running_runs_limit_exceeded" | "prompts_per_run_limit_exceeded" | "internal" | "misconfigured" | "unavailable";
                /** @description What was wrong and how to fix it. */
                message: string;
                /** @description Validation problems (400) or the limit reached (429). */
                details?: {
                    issues: {
                        path: string;
                        message: string;
                        valid_values?: string[];
                    }[];
                } | {
                    /**
                     * @description The per-tenant limit that was reached.
                     * @enum {string}
                     */
                    limit: "requests_per_minute" | "running_runs_per_tenant" | "prompts_per_run";
                    /** @description The limit's value (the operator's setting). */
                    allowed: number;
                    /** @description Where the caller stands: its running runs, or the prompts the pool would hold. */
                    current?: number;
                    /** @description As the Retry-After header; absent when waiting cannot help (prompts_per_run). */
                    retry_after_seconds?: number;
                };
            };
        };
        /** @description 429: a per-tenant limit was reached (the error shape; gateway README "Limits"). */
        LimitError: {
            error: {
                /**
                 * @description Names the limit: rate_limit_exceeded (requests per API key), running_runs_limit_exceeded, prompts_per_run_limit_exceeded.
                 * @enum {string}
                 */
                code: "rate_limit_exceeded" | "running_runs_limit_exceeded" | "prompts_per_run_limit_exceeded";
                /** @description The limit, its value, and what to do. */
                message: string;
                /** @description For 429 answers: which per-tenant limit was reached. */
                details: {
                    /**
                     * @description The per-tenant limit that was reached.
                     * @enum {string}
                     */
                    limit: "requests_per_minute" | "running_runs_per_tenant" | "prompts_per_run";
                    /** @description The limit's value (the operator's setting). */
                    allowed: number;
                    /** @description Where the caller stands: its running runs, or the prompts the pool would hold. */
                    current?: number;
                    /** @description As the Retry-After header; absent when waiting cannot help (prompts_per_run). */
                    retry_after_seconds?: number;
                };
            };
        };
        RunCreated: {
            /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
            run_id: string;
            /** @enum {string} */
            status: "running" | "cancelled" | "completed" | "failed";
            created_at: string;
            num_iterations: number;
            shards_per_round: number;
            prompt_count: number;
            /** @description Evaluation prompts (eval_prompts, or eval_holdout held out of the pool); absent when evaluation is off. */
            eval_prompt_count?: number;
            links: {
                self: string;
                rounds: string;
            };
        };
        RunList: {
            /** @description The tenant's runs, oldest first. */
            runs: {
                /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                run_id: string;
                /** @enum {string} */
                status: "running" | "cancelled" | "completed" | "failed";
                created_at: string;
                status_updated_at?: string;
                /** @description The first round whose checkpoint is not complete; null when every round is done. */
                current_round: number | null;
                /**
                 * @description The current round's phase; 'evaluating' while the last evaluations are written; 'done' once all are.
                 * @enum {string}
                 */
                stage: "waiting" | "generating" | "judging" | "training" | "done" | "evaluating";
                num_iterations: number;
                /** @description The base policy of round 0. */
                model_name_or_path: string;
                /** @description The run config's loss_type (sppo, sppo_single, sppo_hard, sigmoid, ipo). */
                loss_type: string;
            }[];
            /** @description Pass as ?cursor= for the next page; absent on the last page. */
            next_cursor?: string;
        };
        RunView: {
            /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
            run_id: string;
            /** @enum {string} */
            status: "running" | "cancelled" | "completed" | "failed";
            status_reason?: string;
            status_updated_at?: string;
            created_at: string;
            /** @description The first round whose checkpoint is not complete; null when every round is done. */
            current_round: number | null;
            /**
             * @description The current round's phase; 'evaluating' while the last evaluations are written; 'done' once all are.
             * @enum {string}
             */
            stage: "waiting" | "generating" | "judging" | "training" | "done" | "evaluating";
            /** @description Shard progress of the current round. */
            progress: {
                shards: number;
                generated: number;
                judged: number;
            };
            num_iterations: number;
            shards_per_round: number;
            rounds: {
                round: number;
                /** @enum {string} */
                phase: "waiting" | "generating" | "judging" | "training" | "done";
                shards: number;
                /** @description Shards with generations (judged ones included). */
                generated: number;
                judged: number;
                /** @description Checkpoint round+1 (this round's output) exists. */
                checkpoint_complete: boolean;
                /** @description When each stage of the round finished (S3 modification times of its outputs), and the seconds between them. */
                timings: {
                    /** @description The round's manifest was written. */
                    started_at?: string;
                    /** @description The last generation shard was written (once all exist). */
                    generated_at?: string;
                    /** @description The last triplet shard was written (once all exist). */
                    judged_at?: string;
                    /** @description The output checkpoint's _COMPLETE was written. */
                    trained_at?: string;
                    generate_s?: number;
                    judge_s?: number;
                    train_s?: number;
                    total_s?: number;
                };
                /** @description The evaluation of this round's checkpoint round+1 against pi_0 and pi_round (issue 21). */
                evaluation: {
                    /**
                     * @description 'off' for a round not evaluated (eval_every, or no evaluation prompts).
                     * @enum {string}
                     */
                    phase: "off" | "waiting" | "generating" | "judging" | "done";
                    shards: number;
                    /** @description Eval shards with the samples of every compared policy. */
                    generated: number;
                    judged: number;
                    /** @description runs/{run}/round={t}/eval/metrics.json once written. */
                    metrics: {
                        /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                        run_id: string;
                        /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                        round: number;
                        /** @description Checkpoint t+1. */
                        candidate: number;
                        judge_model: string;
                        /** @description Evaluation prompts judged. */
                        prompts: number;
                        samples_per_prompt: number;
                        /** @description pi_{t+1} against pi_0. */
                        vs_base: {
                            /** @description The baseline checkpoint (0, or t). */
                            baseline: number;
                            /** @description Mean over prompts of the position-debiased judge probability that pi_{t+1} wins. */
                            win_rate: number;
                            /** @description 95% interval over prompts (normal approximation). */
                            win_rate_ci95: number[];
                            /** @description Length-controlled win rate (AlpacaEval 2.0 style): the regression's win rate at zero length difference. */
                            lc_win_rate: number;
                            /** @description 95% percentile-bootstrap interval over prompts. */
                            lc_win_rate_ci95: number[];
                            /** @description Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer. */
                            length_weight: number;
                            /** @description Mean candidate minus baseline response length, tokens. */
                            mean_length_diff: number;
                            comparisons: number;
                        };
                        /** @description pi_{t+1} against pi_t (the same as vs_base for round 0). */
                        vs_previous: {
                            /** @description The baseline checkpoint (0, or t). */
                            baseline: number;
                            /** @description Mean over prompts of the position-debiased judge probability that pi_{t+1} wins. */
                            win_rate: number;
                            /** @description 95% interval over prompts (normal approximation). */
                            win_rate_ci95: number[];
                            /** @description Length-controlled win rate (AlpacaEval 2.0 style): the regression's win rate at zero length difference. */
                            lc_win_rate: number;
                            /** @description 95% percentile-bootstrap interval over prompts. */
                            lc_win_rate_ci95: number[];
                            /** @description Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer. */
                            length_weight: number;
                            /** @description Mean candidate minus baseline response length, tokens. */
                            mean_length_diff: number;
                            comparisons: number;
                        };
                        /** @description Mean evaluation response length of each compared policy, tokens. */
                        mean_response_tokens: {
                            /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                            policy: number;
                            tokens: number;
                        }[];
                    } | null;
                };
                metrics: {
                    generation?: {
                        [key: string]: number;
                    };
                    judge?: {
                        [key: string]: number;
                    };
                    /** @description The training summary plus the last logged step (TRL metric names). */
                    train?: {
                        [key: string]: number;
                    };
                } | null;
            }[];
            /** @description Dead-lettered units with their reasons. */
            failures: {
                /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                run_id: string;
                /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                round: number;
                /** @enum {string} */
                stage: "generate" | "judge" | "train" | "eval_generate" | "eval_judge";
                /** @description 0-based shard index within a round. */
                shard?: number;
                reason: string;
                /**
                 * Format: date-time
                 * @description ISO 8601 timestamp, e.g. 2026-01-31T12:00:00.000Z.
                 */
                failed_at: string;
            }[];
            /** @description The evaluation stage (issue 21): what the judge says of each new policy on prompts no round trained on. */
            evaluation: {
                enabled: boolean;
                /** @description Evaluation prompts. */
                prompts: number;
                shards: number;
                /** @description The config's eval_every. */
                every: number;
                /** @description One row per evaluated round whose metrics are written, in round order: win rates of pi_{t+1} against pi_0 (vs_base) and pi_t (vs_previous). */
                table: {
                    /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                    run_id: string;
                    /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                    round: number;
                    /** @description Checkpoint t+1. */
                    candidate: number;
                    judge_model: string;
                    /** @description Evaluation prompts judged. */
                    prompts: number;
                    samples_per_prompt: number;
                    /** @description pi_{t+1} against pi_0. */
                    vs_base: {
                        /** @description The baseline checkpoint (0, or t). */
                        baseline: number;
                        /** @description Mean over prompts of the position-debiased judge probability that pi_{t+1} wins. */
                        win_rate: number;
                        /** @description 95% interval over prompts (normal approximation). */
                        win_rate_ci95: number[];
                        /** @description Length-controlled win rate (AlpacaEval 2.0 style): the regression's win rate at zero length difference. */
                        lc_win_rate: number;
                        /** @description 95% percentile-bootstrap interval over prompts. */
                        lc_win_rate_ci95: number[];
                        /** @description Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer. */
                        length_weight: number;
                        /** @description Mean candidate minus baseline response length, tokens. */
                        mean_length_diff: number;
                        comparisons: number;
                    };
                    /** @description pi_{t+1} against pi_t (the same as vs_base for round 0). */
                    vs_previous: {
                        /** @description The baseline checkpoint (0, or t). */
                        baseline: number;
                        /** @description Mean over prompts of the position-debiased judge probability that pi_{t+1} wins. */
                        win_rate: number;
                        /** @description 95% interval over prompts (normal approximation). */
                        win_rate_ci95: number[];
                        /** @description Length-controlled win rate (AlpacaEval 2.0 style): the regression's win rate at zero length difference. */
                        lc_win_rate: number;
                        /** @description 95% percentile-bootstrap interval over prompts. */
                        lc_win_rate_ci95: number[];
                        /** @description Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer. */
                        length_weight: number;
                        /** @description Mean candidate minus baseline response length, tokens. */
                        mean_length_diff: number;
                        comparisons: number;
                    };
                    /** @description Mean evaluation response length of each compared policy, tokens. */
                    mean_response_tokens: {
                        /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                        policy: number;
                        tokens: number;
                    }[];
                }[];
            };
            /** @description The resolved run config. */
            config: {
                /**
                 * @description Base checkpoint (round 0 policy): an S3 prefix in the run bucket or a local folder holding an HF-style checkpoint (ARCHITECTURE 3.4).
                 * @default models/base
                 */
                model_name_or_path: string;
                /** @description Jinja chat template overriding the checkpoint's tokenizer_config.json chat_template. */
                chat_template?: string;
                /**
                 * @description ONNX Runtime execution provider for generation, judging and training: 'cpu', 'cuda' or 'webgpu'.
                 * @default cpu
                 * @enum {string}
                 */
                execution_provider: "cpu" | "cuda" | "webgpu";
                /**
                 * @description Prompt pool: an inline array of strings / {prompt_id?, prompt}, or {key} naming a JSONL object in the bucket. Defaults to a few demo prompts.
                 * @default [
                 *       "Write a haiku about the sea.",
                 *       "Explain why the sky is blue in two sentences.",
                 *       "Give three tips for writing clear code.",
                 *       "What is the capital of France?",
                 *       "Describe a cat to someone who has never seen one.",
                 *       "Summarise the rules of chess in one paragraph.",
                 *       "Suggest a name for a friendly robot.",
                 *       "How do plants make food?"
                 *     ]
                 */
                prompts: (string | {
                    prompt_id?: string;
                    prompt: string;
                })[] | {
                    /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                    key: string;
                };
                /**
                 * @description Prompts used per round; 0 = pool size / num_iterations, i.e. a new disjoint part each round like the official 3 x 20k split (SPPO-REFERENCE 1.5). Wraps around when the pool runs out.
                 * @default 0
                 */
                prompts_per_iteration: number;
                /**
                 * @description Prompts per generation/judge shard: a round's prompts are split into ceil(prompts_per_iteration / prompts_per_shard) shards, one queue task each.
                 * @default 32
                 */
                prompts_per_shard: number;
                /**
                 * @description SPPO iterations (rounds); round t trains checkpoint t into checkpoint t+1 (official 3).
                 * @default 3
                 */
                num_iterations: number;
                /**
                 * @description K responses sampled per prompt; win rates need K >= 2 (official 5).
                 * @default 5
                 */
                samples_per_prompt: number;
                /**
                 * @description Sampling temperature; 0 = greedy (official 0.7).
                 * @default 0.7
                 */
                temperature: number;
                /**
                 * @description Nucleus sampling mass in (0, 1] (official 0.9).
                 * @default 0.9
                 */
                top_p: number;
                /**
                 * @description Keep only the k most likely tokens; 0 turns it off.
                 * @default 0
                 */
                top_k: number;
                /**
                 * @description Max generated tokens per response (official 2048).
                 * @default 2048
                 */
                max_new_tokens: number;
                /** @description Explicit seed per sample k (length samples_per_prompt); unset uses the official 50*k (SPPO-REFERENCE 2.2 step 4). */
                sample_seeds?: number[];
                /**
                 * @description 'onnx': the embedded ONNX Runtime decoder; 'openai': an OpenAI-compatible completions server (vLLM, TGI, SGLang).
                 * @default onnx
                 * @enum {string}
                 */
                generation_backend: "onnx" | "openai";
                /**
                 * Format: uri
                 * @description Base URL of the OpenAI-compatible server, http:// or https:// only (e.g. http://127.0.0.1:8000/v1); required with generation_backend 'openai'. Deployments may restrict the hosts further.
                 */
                openai_base_url?: string;
                /** @description Model name served there; required with generation_backend 'openai'. */
                openai_model?: string;
                /**
                 * @description PairRM-style pairwise judge checkpoint: an S3 prefix in the run bucket or a local folder.
                 * @default models/judge
                 */
                judge_model: string;
                /**
                 * @description Judge's prompt token budget (PairRM source_maxlength 1224).
                 * @default 1224
                 */
                judge_max_source_tokens: number;
                /**
                 * @description Judge's per-response token budget (PairRM candidate_maxlength 412).
                 * @default 412
                 */
                judge_max_candidate_tokens: number;
                /**
                 * @description 'official': s_i = mean_j(C_ij - C_ji), P_ij = sigmoid(s_i - s_j) (compute_prob.py); 'direct': P_ij = sigmoid(C_ij - C_ji).
                 * @default official
                 * @enum {string}
                 */
                score_aggregation: "official" | "direct";
                /**
                 * @description 'include_self': mean of P_ij over all K incl. P_ii = 0.5 (official); 'exclude_self': mean over the other K-1.
                 * @default include_self
                 * @enum {string}
                 */
                win_rate_estimator: "include_self" | "exclude_self";
                /**
                 * @description 'extremes': one (argmax, argmin) pair per prompt (official); 'all': every response with its own win rate.
                 * @default extremes
                 * @enum {string}
                 */
                selection: "extremes" | "all";
                /** @description Evaluation prompts, never trained on: an inline array or {key} of a JSONL/Parquet object, like `prompts`. With eval_prompts or eval_holdout set, every evaluated round compares its new policy with pi_0 and pi_t; unset (and eval_holdout 0) turns evaluation off. */
                eval_prompts?: (string | {
                    prompt_id?: string;
                    prompt: string;
                })[] | {
                    /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                    key: string;
                };
                /**
                 * @description Hold this many prompts out of the pool at creation (a seeded choice, `seed`) as the evaluation prompts; they never reach a training shard. 0 = none. Not together with eval_prompts.
                 * @default 0
                 */
                eval_holdout: number;
                /**
                 * @description Responses per evaluation prompt and policy; sample k of pi_{t+1} is compared with sample k of pi_0 and of pi_t (seed 50*k, fixed across rounds).
                 * @default 1
                 */
                eval_samples_per_prompt: number;
                /** @description Evaluation sampling temperature; unset = the run's temperature. */
                eval_temperature?: number;
                /** @description Evaluation nucleus mass; unset = the run's top_p. */
                eval_top_p?: number;
                /** @description Evaluation top-k; unset = the run's top_k. */
                eval_top_k?: number;
                /** @description Evaluation max new tokens; unset = the run's max_new_tokens. */
                eval_max_new_tokens?: number;
                /**
                 * @description Evaluate checkpoint t+1 when t+1 is a multiple of eval_every; the last checkpoint is always evaluated. 1 = every round.
                 * @default 1
                 */
                eval_every: number;
                /**
                 * @description Loss: 'sppo' (official, eq. 4.7 on winner and loser with their K-sample win rates), 'sppo_single' (winner-vs-loser probability only), 'sppo_hard' (TRL, hard labels), 'sigmoid' (DPO), 'ipo' (summed log-probs, as the SPPO repo).
                 * @default sppo
                 * @enum {string}
                 */
                loss_type: "sppo" | "sppo_single" | "sppo_hard" | "sigmoid" | "ipo";
                /**
                 * @description beta = 1/eta, eta being the game learning rate of eq. (4.7); the official runs use 0.001 (eta = 1000).
                 * @default 0.001
                 */
                beta: number;
                /**
                 * @description DPO label smoothing (conservative DPO) for loss_type 'sigmoid'; 0 turns it off. Must be in [0, 0.5].
                 * @default 0
                 */
                label_smoothing: number;
                /**
                 * @description Peak learning rate (official: 5e-7).
                 * @default 5e-7
                 */
                learning_rate: number;
                /**
                 * @description Optimizer: 'rmsprop' (official; torch RMSprop with alpha, eps, no momentum) or 'adamw'.
                 * @default rmsprop
                 * @enum {string}
                 */
                optim: "rmsprop" | "adamw";
                /**
                 * @description Decoupled weight decay (HF default 0).
                 * @default 0
                 */
                weight_decay: number;
                /**
                 * @description AdamW beta1 (HF default 0.9).
                 * @default 0.9
                 */
                adam_beta1: number;
                /**
                 * @description AdamW beta2 (HF default 0.999).
                 * @default 0.999
                 */
                adam_beta2: number;
                /**
                 * @description AdamW epsilon (HF default 1e-8).
                 * @default 1e-8
                 */
                adam_epsilon: number;
                /**
                 * @description RMSprop smoothing constant (torch default 0.99).
                 * @default 0.99
                 */
                rmsprop_alpha: number;
                /**
                 * @description RMSprop epsilon (torch default 1e-8).
                 * @default 1e-8
                 */
                rmsprop_epsilon: number;
                /**
                 * @description Clip the global gradient norm to this; 0 turns clipping off.
                 * @default 1
                 */
                max_grad_norm: number;
                /**
                 * @description Learning-rate schedule after warmup (HF names); official: linear decay to 0.
                 * @default linear
                 * @enum {string}
                 */
                lr_scheduler_type: "linear" | "cosine" | "constant" | "constant_with_warmup";
                /**
                 * @description Fraction of the schedule spent in linear warmup (official 0.1).
                 * @default 0.1
                 */
                warmup_ratio: number;
                /**
                 * @description Warmup steps; when > 0 it overrides warmup_ratio (HF semantics).
                 * @default 0
                 */
                warmup_steps: number;
                /**
                 * @description Epochs actually trained per round over that round's triplets (official run scripts: 1).
                 * @default 1
                 */
                num_train_epochs: number;
                /** @description If set, the LR schedule (warmup and decay) spans this many epochs while training stops after num_train_epochs: the model cards' "num_train_epochs: 18.0 (stop at epoch=1.0)" reading (SPPO-REFERENCE 2.6). Must be >= num_train_epochs. */
                schedule_num_train_epochs?: number;
                /**
                 * @description Pairs per device per micro-batch (official 8).
                 * @default 8
                 */
                per_device_train_batch_size: number;
                /**
                 * @description Micro-batches accumulated per optimizer step (official 1; global batch 64 came from 8 GPUs).
                 * @default 1
                 */
                gradient_accumulation_steps: number;
                /**
                 * @description Max prompt + response tokens per sequence (official 1024).
                 * @default 1024
                 */
                max_length: number;
                /**
                 * @description Max prompt tokens kept when prompt + response exceed max_length (official 512). Must be < max_length.
                 * @default 512
                 */
                max_prompt_length: number;
                /** @description Max response tokens; unset means max_length - max_prompt_length (official behaviour). */
                max_completion_length?: number;
                /**
                 * @description How a long prompt is cut: 'keep_end' keeps its last tokens (official), 'keep_start' its first.
                 * @default keep_end
                 * @enum {string}
                 */
                truncation_mode: "keep_end" | "keep_start";
                /**
                 * @description Seed for data shuffling and initialisation (official 42).
                 * @default 42
                 */
                seed: number;
                /**
                 * @description Write resumable trainer state (parameters, optimizer moments, step) every N optimizer steps.
                 * @default 50
                 */
                save_steps: number;
                /**
                 * @description Log TRL-named metrics every N optimizer steps.
                 * @default 1
                 */
                logging_steps: number;
                /**
                 * @description Train a LoRA adapter on the frozen pi_t instead of every weight (TRL use_peft). The reference is the same base with the adapter off; the round writes the adapter in PEFT format (adapter/) and the merged checkpoint.
                 * @default false
                 */
                use_peft: boolean;
                /**
                 * @description LoRA rank r (TRL default 16).
                 * @default 16
                 */
                lora_r: number;
                /**
                 * @description LoRA alpha; the update is scaled by lora_alpha / lora_r (TRL default 32).
                 * @default 32
                 */
                lora_alpha: number;
                /**
                 * @description Dropout on the adapter input only, in [0, 1) (TRL default 0.05).
                 * @default 0.05
                 */
                lora_dropout: number;
                /**
                 * @description Linear modules that get adapters, by HF name: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or 'all-linear' (every projection, not lm_head). Default q_proj,v_proj (PEFT's Llama default).
                 * @default [
                 *       "q_proj",
                 *       "v_proj"
                 *     ]
                 */
                lora_target_modules: ("q_proj" | "k_proj" | "v_proj" | "o_proj" | "gate_proj" | "up_proj" | "down_proj" | "all-linear")[];
            };
            /** @description runs/{run}/summary.json once the run completed. */
            summary?: {
                [key: string]: unknown;
            };
        };
        RoundView: {
            /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
            run_id: string;
            round: number;
            /** @enum {string} */
            phase: "waiting" | "generating" | "judging" | "training" | "done";
            /** @description null until the round started. */
            manifest: {
                /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                run_id: string;
                /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                round: number;
                /** @description Prefix of the checkpoint this round samples from and references: runs/{run}/checkpoints/{round}/. */
                checkpoint_key: string;
                /** @description Every shard of the round; a stage is complete when each has its output. */
                shards: {
                    /** @description 0-based shard index within a round. */
                    shard: number;
                    /** @description Ids (from the run's prompt pool) of the prompts in this shard, in order. */
                    prompt_ids: string[];
                }[];
                /**
                 * Format: date-time
                 * @description ISO 8601 timestamp, e.g. 2026-01-31T12:00:00.000Z.
                 */
                created_at: string;
                /** @description The resolved run config (STYLE guideline 5: written with every artefact). */
                config: {
                    /**
                     * @description Base checkpoint (round 0 policy): an S3 prefix in the run bucket or a local folder holding an HF-style checkpoint (ARCHITECTURE 3.4).
                     * @default models/base
                     */
                    model_name_or_path: string;
                    /** @description Jinja chat template overriding the checkpoint's tokenizer_config.json chat_template. */
                    chat_template?: string;
                    /**
                     * @description ONNX Runtime execution provider for generation, judging and training: 'cpu', 'cuda' or 'webgpu'.
                     * @default cpu
                     * @enum {string}
                     */
                    execution_provider: "cpu" | "cuda" | "webgpu";
                    /**
                     * @description Prompt pool: an inline array of strings / {prompt_id?, prompt}, or {key} naming a JSONL object in the bucket. Defaults to a few demo prompts.
                     * @default [
                     *       "Write a haiku about the sea.",
                     *       "Explain why the sky is blue in two sentences.",
                     *       "Give three tips for writing clear code.",
                     *       "What is the capital of France?",
                     *       "Describe a cat to someone who has never seen one.",
                     *       "Summarise the rules of chess in one paragraph.",
                     *       "Suggest a name for a friendly robot.",
                     *       "How do plants make food?"
                     *     ]
                     */
                    prompts: (string | {
                        prompt_id?: string;
                        prompt: string;
                    })[] | {
                        /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                        key: string;
                    };
                    /**
                     * @description Prompts used per round; 0 = pool size / num_iterations, i.e. a new disjoint part each round like the official 3 x 20k split (SPPO-REFERENCE 1.5). Wraps around when the pool runs out.
                     * @default 0
                     */
                    prompts_per_iteration: number;
                    /**
                     * @description Prompts per generation/judge shard: a round's prompts are split into ceil(prompts_per_iteration / prompts_per_shard) shards, one queue task each.
                     * @default 32
                     */
                    prompts_per_shard: number;
                    /**
                     * @description SPPO iterations (rounds); round t trains checkpoint t into checkpoint t+1 (official 3).
                     * @default 3
                     */
                    num_iterations: number;
                    /**
                     * @description K responses sampled per prompt; win rates need K >= 2 (official 5).
                     * @default 5
                     */
                    samples_per_prompt: number;
                    /**
                     * @description Sampling temperature; 0 = greedy (official 0.7).
                     * @default 0.7
                     */
                    temperature: number;
                    /**
                     * @description Nucleus sampling mass in (0, 1] (official 0.9).
                     * @default 0.9
                     */
                    top_p: number;
                    /**
                     * @description Keep only the k most likely tokens; 0 turns it off.
                     * @default 0
                     */
                    top_k: number;
                    /**
                     * @description Max generated tokens per response (official 2048).
                     * @default 2048
                     */
                    max_new_tokens: number;
                    /** @description Explicit seed per sample k (length samples_per_prompt); unset uses the official 50*k (SPPO-REFERENCE 2.2 step 4). */
                    sample_seeds?: number[];
                    /**
                     * @description 'onnx': the embedded ONNX Runtime decoder; 'openai': an OpenAI-compatible completions server (vLLM, TGI, SGLang).
                     * @default onnx
                     * @enum {string}
                     */
                    generation_backend: "onnx" | "openai";
                    /**
                     * Format: uri
                     * @description Base URL of the OpenAI-compatible server, http:// or https:// only (e.g. http://127.0.0.1:8000/v1); required with generation_backend 'openai'. Deployments may restrict the hosts further.
                     */
                    openai_base_url?: string;
                    /** @description Model name served there; required with generation_backend 'openai'. */
                    openai_model?: string;
                    /**
                     * @description PairRM-style pairwise judge checkpoint: an S3 prefix in the run bucket or a local folder.
                     * @default models/judge
                     */
                    judge_model: string;
                    /**
                     * @description Judge's prompt token budget (PairRM source_maxlength 1224).
                     * @default 1224
                     */
                    judge_max_source_tokens: number;
                    /**
                     * @description Judge's per-response token budget (PairRM candidate_maxlength 412).
                     * @default 412
                     */
                    judge_max_candidate_tokens: number;
                    /**
                     * @description 'official': s_i = mean_j(C_ij - C_ji), P_ij = sigmoid(s_i - s_j) (compute_prob.py); 'direct': P_ij = sigmoid(C_ij - C_ji).
                     * @default official
                     * @enum {string}
                     */
                    score_aggregation: "official" | "direct";
                    /**
                     * @description 'include_self': mean of P_ij over all K incl. P_ii = 0.5 (official); 'exclude_self': mean over the other K-1.
                     * @default include_self
                     * @enum {string}
                     */
                    win_rate_estimator: "include_self" | "exclude_self";
                    /**
                     * @description 'extremes': one (argmax, argmin) pair per prompt (official); 'all': every response with its own win rate.
                     * @default extremes
                     * @enum {string}
                     */
                    selection: "extremes" | "all";
                    /** @description Evaluation prompts, never trained on: an inline array or {key} of a JSONL/Parquet object, like `prompts`. With eval_prompts or eval_holdout set, every evaluated round compares its new policy with pi_0 and pi_t; unset (and eval_holdout 0) turns evaluation off. */
                    eval_prompts?: (string | {
                        prompt_id?: string;
                        prompt: string;
                    })[] | {
                        /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                        key: string;
                    };
                    /**
                     * @description Hold this many prompts out of the pool at creation (a seeded choice, `seed`) as the evaluation prompts; they never reach a training shard. 0 = none. Not together with eval_prompts.
                     * @default 0
                     */
                    eval_holdout: number;
                    /**
                     * @description Responses per evaluation prompt and policy; sample k of pi_{t+1} is compared with sample k of pi_0 and of pi_t (seed 50*k, fixed across rounds).
                     * @default 1
                     */
                    eval_samples_per_prompt: number;
                    /** @description Evaluation sampling temperature; unset = the run's temperature. */
                    eval_temperature?: number;
                    /** @description Evaluation nucleus mass; unset = the run's top_p. */
                    eval_top_p?: number;
                    /** @description Evaluation top-k; unset = the run's top_k. */
                    eval_top_k?: number;
                    /** @description Evaluation max new tokens; unset = the run's max_new_tokens. */
                    eval_max_new_tokens?: number;
                    /**
                     * @description Evaluate checkpoint t+1 when t+1 is a multiple of eval_every; the last checkpoint is always evaluated. 1 = every round.
                     * @default 1
                     */
                    eval_every: number;
                    /**
                     * @description Loss: 'sppo' (official, eq. 4.7 on winner and loser with their K-sample win rates), 'sppo_single' (winner-vs-loser probability only), 'sppo_hard' (TRL, hard labels), 'sigmoid' (DPO), 'ipo' (summed log-probs, as the SPPO repo).
                     * @default sppo
                     * @enum {string}
                     */
                    loss_type: "sppo" | "sppo_single" | "sppo_hard" | "sigmoid" | "ipo";
                    /**
                     * @description beta = 1/eta, eta being the game learning rate of eq. (4.7); the official runs use 0.001 (eta = 1000).
                     * @default 0.001
                     */
                    beta: number;
                    /**
                     * @description DPO label smoothing (conservative DPO) for loss_type 'sigmoid'; 0 turns it off. Must be in [0, 0.5].
                     * @default 0
                     */
                    label_smoothing: number;
                    /**
                     * @description Peak learning rate (official: 5e-7).
                     * @default 5e-7
                     */
                    learning_rate: number;
                    /**
                     * @description Optimizer: 'rmsprop' (official; torch RMSprop with alpha, eps, no momentum) or 'adamw'.
                     * @default rmsprop
                     * @enum {string}
                     */
                    optim: "rmsprop" | "adamw";
                    /**
                     * @description Decoupled weight decay (HF default 0).
                     * @default 0
                     */
                    weight_decay: number;
                    /**
                     * @description AdamW beta1 (HF default 0.9).
                     * @default 0.9
                     */
                    adam_beta1: number;
                    /**
                     * @description AdamW beta2 (HF default 0.999).
                     * @default 0.999
                     */
                    adam_beta2: number;
                    /**
                     * @description AdamW epsilon (HF default 1e-8).
                     * @default 1e-8
                     */
                    adam_epsilon: number;
                    /**
                     * @description RMSprop smoothing constant (torch default 0.99).
                     * @default 0.99
                     */
                    rmsprop_alpha: number;
                    /**
                     * @description RMSprop epsilon (torch default 1e-8).
                     * @default 1e-8
                     */
                    rmsprop_epsilon: number;
                    /**
                     * @description Clip the global gradient norm to this; 0 turns clipping off.
                     * @default 1
                     */
                    max_grad_norm: number;
                    /**
                     * @description Learning-rate schedule after warmup (HF names); official: linear decay to 0.
                     * @default linear
                     * @enum {string}
                     */
                    lr_scheduler_type: "linear" | "cosine" | "constant" | "constant_with_warmup";
                    /**
                     * @description Fraction of the schedule spent in linear warmup (official 0.1).
                     * @default 0.1
                     */
                    warmup_ratio: number;
                    /**
                     * @description Warmup steps; when > 0 it overrides warmup_ratio (HF semantics).
                     * @default 0
                     */
                    warmup_steps: number;
                    /**
                     * @description Epochs actually trained per round over that round's triplets (official run scripts: 1).
                     * @default 1
                     */
                    num_train_epochs: number;
                    /** @description If set, the LR schedule (warmup and decay) spans this many epochs while training stops after num_train_epochs: the model cards' "num_train_epochs: 18.0 (stop at epoch=1.0)" reading (SPPO-REFERENCE 2.6). Must be >= num_train_epochs. */
                    schedule_num_train_epochs?: number;
                    /**
                     * @description Pairs per device per micro-batch (official 8).
                     * @default 8
                     */
                    per_device_train_batch_size: number;
                    /**
                     * @description Micro-batches accumulated per optimizer step (official 1; global batch 64 came from 8 GPUs).
                     * @default 1
                     */
                    gradient_accumulation_steps: number;
                    /**
                     * @description Max prompt + response tokens per sequence (official 1024).
                     * @default 1024
                     */
                    max_length: number;
                    /**
                     * @description Max prompt tokens kept when prompt + response exceed max_length (official 512). Must be < max_length.
                     * @default 512
                     */
                    max_prompt_length: number;
                    /** @description Max response tokens; unset means max_length - max_prompt_length (official behaviour). */
                    max_completion_length?: number;
                    /**
                     * @description How a long prompt is cut: 'keep_end' keeps its last tokens (official), 'keep_start' its first.
                     * @default keep_end
                     * @enum {string}
                     */
                    truncation_mode: "keep_end" | "keep_start";
                    /**
                     * @description Seed for data shuffling and initialisation (official 42).
                     * @default 42
                     */
                    seed: number;
                    /**
                     * @description Write resumable trainer state (parameters, optimizer moments, step) every N optimizer steps.
                     * @default 50
                     */
                    save_steps: number;
                    /**
                     * @description Log TRL-named metrics every N optimizer steps.
                     * @default 1
                     */
                    logging_steps: number;
                    /**
                     * @description Train a LoRA adapter on the frozen pi_t instead of every weight (TRL use_peft). The reference is the same base with the adapter off; the round writes the adapter in PEFT format (adapter/) and the merged checkpoint.
                     * @default false
                     */
                    use_peft: boolean;
                    /**
                     * @description LoRA rank r (TRL default 16).
                     * @default 16
                     */
                    lora_r: number;
                    /**
                     * @description LoRA alpha; the update is scaled by lora_alpha / lora_r (TRL default 32).
                     * @default 32
                     */
                    lora_alpha: number;
                    /**
                     * @description Dropout on the adapter input only, in [0, 1) (TRL default 0.05).
                     * @default 0.05
                     */
                    lora_dropout: number;
                    /**
                     * @description Linear modules that get adapters, by HF name: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or 'all-linear' (every projection, not lm_head). Default q_proj,v_proj (PEFT's Llama default).
                     * @default [
                     *       "q_proj",
                     *       "v_proj"
                     *     ]
                     */
                    lora_target_modules: ("q_proj" | "k_proj" | "v_proj" | "o_proj" | "gate_proj" | "up_proj" | "down_proj" | "all-linear")[];
                };
            } | null;
            metrics: {
                /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                run_id: string;
                /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                round: number;
                /** @description e.g. generation/mean_response_tokens, generation/truncated_fraction. */
                generation?: {
                    [key: string]: number;
                };
                /** @description JUDGE_METRIC_NAMES and any other judge/* values. */
                judge?: {
                    [key: string]: number;
                };
                train?: {
                    log_history: ({
                        step: number;
                        epoch: number;
                        loss: number;
                        "rewards/chosen": number;
                        "rewards/rejected": number;
                        "rewards/accuracies": number;
                        "rewards/margins": number;
                        "logps/chosen": number;
                        "logps/rejected": number;
                        grad_norm: number;
                        learning_rate: number;
                    } & {
                        [key: string]: number;
                    })[];
                    /** @description e.g. train/steps, train/runtime_s, final loss. */
                    summary?: {
                        [key: string]: number;
                    };
                };
            } | null;
            /** @description The evaluation of this round's checkpoint round+1 against pi_0 and pi_round (issue 21); null until written, or when the round is not evaluated. */
            evaluation: {
                /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
                run_id: string;
                /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                round: number;
                /** @description Checkpoint t+1. */
                candidate: number;
                judge_model: string;
                /** @description Evaluation prompts judged. */
                prompts: number;
                samples_per_prompt: number;
                /** @description pi_{t+1} against pi_0. */
                vs_base: {
                    /** @description The baseline checkpoint (0, or t). */
                    baseline: number;
                    /** @description Mean over prompts of the position-debiased judge probability that pi_{t+1} wins. */
                    win_rate: number;
                    /** @description 95% interval over prompts (normal approximation). */
                    win_rate_ci95: number[];
                    /** @description Length-controlled win rate (AlpacaEval 2.0 style): the regression's win rate at zero length difference. */
                    lc_win_rate: number;
                    /** @description 95% percentile-bootstrap interval over prompts. */
                    lc_win_rate_ci95: number[];
                    /** @description Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer. */
                    length_weight: number;
                    /** @description Mean candidate minus baseline response length, tokens. */
                    mean_length_diff: number;
                    comparisons: number;
                };
                /** @description pi_{t+1} against pi_t (the same as vs_base for round 0). */
                vs_previous: {
                    /** @description The baseline checkpoint (0, or t). */
                    baseline: number;
                    /** @description Mean over prompts of the position-debiased judge probability that pi_{t+1} wins. */
                    win_rate: number;
                    /** @description 95% interval over prompts (normal approximation). */
                    win_rate_ci95: number[];
                    /** @description Length-controlled win rate (AlpacaEval 2.0 style): the regression's win rate at zero length difference. */
                    lc_win_rate: number;
                    /** @description 95% percentile-bootstrap interval over prompts. */
                    lc_win_rate_ci95: number[];
                    /** @description Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer. */
                    length_weight: number;
                    /** @description Mean candidate minus baseline response length, tokens. */
                    mean_length_diff: number;
                    comparisons: number;
                };
                /** @description Mean evaluation response length of each compared policy, tokens. */
                mean_response_tokens: {
                    /** @description 0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1. */
                    policy: number;
                    tokens: number;
                }[];
            } | null;
            links: {
                manifest: string;
                metrics: string;
                /** @description runs/{run}/round={t}/eval/metrics.json */
                evaluation: string;
                generations: {
                    shard: number;
                    key: string;
                    exists: boolean;
                }[];
                triplets: {
                    shard: number;
                    key: string;
                    exists: boolean;
                }[];
                /** @description This round's output checkpoint (round+1). */
                checkpoint: {
                    prefix: string;
                    complete_key: string;
                    complete: boolean;
                };
            };
        };
        AddPrompts: {
            /** @description Prompts to append to the run's pool: inline, or { key } of a JSONL or Parquet object under your tenant area. */
            prompts: (string | {
                prompt_id?: string;
                prompt: string;
            })[] | {
                /** @description Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?). */
                key: string;
            };
        };
        AddPromptsResult: {
            /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
            run_id: string;
            added: number;
            prompt_count: number;
        };
        Cancel: {
            reason?: string;
        };
        ActionResult: {
            /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
            run_id: string;
            /** @enum {string} */
            status: "running" | "cancelled" | "completed" | "failed";
            message: string;
        };
        /** @description application/health+json (draft-inadarei-api-health-check). */
        Health: {
            /** @enum {string} */
            status: "pass" | "fail";
            checks?: {
                [key: string]: {
                    /** @enum {string} */
                    status: "pass" | "fail";
                    componentType?: string;
                    time?: string;
                    output?: string;
                }[];
            };
        };
        SamplePage: {
            /** @description Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit. */
            run_id: string;
            round: number;
            /** @description Rows in shard order, then line order; shards not written yet are skipped. */
            samples: {
                /** @description Triplet shard the row comes from. */
                shard: number;
                /** @description 1-based line of the row in its shard. */
                line: number;
                /** @description The triplet row as stored (official field names; one row per prompt, or per response with selection: all). */
                row: {
                    prompt_id: string;
                    prompt: string;
                    responses: string[];
                    /** @description P[i][j] = P(y_i > y_j | x), P[i][i] = 0.5. */
                    probability: number[][];
                    /** @description PairRM aggregate scores s_i = (1/K) sum_j (C_ij - C_ji). */
                    rm_scores: number[];
                    chosen: string | {
                        /** @enum {string} */
                        role: "system" | "user" | "assistant";
                        content: string;
                    }[];
                    rejected: string | {
                        /** @enum {string} */
                        role: "system" | "user" | "assistant";
                        content: string;
                    }[];
                    /** @description P[w][l]: probability that the chosen response beats the rejected one. */
                    chosen_probs: number;
                    /** @description Win-rate estimate of the chosen response against pi_t. */
                    chosen_probs_win: number;
                    /** @description Win-rate estimate of the rejected response against pi_t. */
                    chosen_probs_lose: number;
                } | {
                    prompt_id: string;
                    prompt: string;
                    responses: string[];
                    /** @description P[i][j] = P(y_i > y_j | x), P[i][i] = 0.5. */
                    probability: number[][];
                    /** @description PairRM aggregate scores s_i = (1/K) sum_j (C_ij - C_ji). */
                    rm_scores: number[];
                    response_index: number;
                    response: string | {
                        /** @enum {string} */
                        role: "system" | "user" | "assistant";
                        content: string;
                    }[];
                    /** @description Win-rate estimate P-hat(y > pi_t | x) of this response. */
                    win_rate: number;
                };
                /** @description Win-rate estimate of each of the K responses against pi_t, from `probability` with the run's win_rate_estimator. */
                win_rates: number[];
                /** @description Pair rows: index in `responses` of the chosen response (argmax of rm_scores). */
                chosen_index?: number;
                /** @description Pair rows: index in `responses` of the rejected response (argmin of rm_scores). */
                rejected_index?: number;
            }[];
            /** @description Pass as ?cursor= for the next page; absent on the last page. */
            next_cursor?: string;
        };
        /** @description Who the API key is. */
        Session: {
            /** @description The tenant the API key belongs to. */
            tenant: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description Seconds to wait before retrying (RFC 9110). Sent with rate_limit_exceeded and running_runs_limit_exceeded; not with prompts_per_run_limit_exceeded, which waiting cannot fix. */
        RetryAfter: number;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key is valid. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listRuns: {
        parameters: {
            query?: {
                limit?: number;
                /** @description next_cursor of the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of runs. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunList"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
        };
    };
    createRun: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunConfig"];
            };
        };
        responses: {
            /** @description Created; round 0 starts through the events queue. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunCreated"];
                };
            };
            /** @description Invalid config: `details.issues` lists every invalid field with its valid values. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body over the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Body is not application/json. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A per-tenant limit: running_runs_limit_exceeded (the tenant has its maximum of running runs; Retry-After 30 s), prompts_per_run_limit_exceeded (the pool would exceed the prompts per run; no Retry-After) or rate_limit_exceeded. Nothing is stored. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Stored but not started (events queue unreachable): resume it later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id as returned by POST /v1/runs. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunView"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run for this tenant (other tenants' runs are not found either). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRound: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id as returned by POST /v1/runs. */
                id: string;
                /** @description 0-based round. */
                t: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The round. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoundView"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run for this tenant (other tenants' runs are not found either). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSamples: {
        parameters: {
            query?: {
                limit?: number;
                /** @description next_cursor of the previous page. */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description Run id as returned by POST /v1/runs. */
                id: string;
                /** @description 0-based round. */
                t: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of rows. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SamplePage"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run for this tenant (other tenants' runs are not found either). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    addPrompts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id as returned by POST /v1/runs. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddPrompts"];
            };
        };
        responses: {
            /** @description Appended. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AddPromptsResult"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run for this tenant (other tenants' runs are not found either). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The run is completed. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description prompts_per_run_limit_exceeded (the pool would exceed the prompts per run; no Retry-After; nothing is appended) or rate_limit_exceeded. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cancelRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id as returned by POST /v1/runs. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["Cancel"];
            };
        };
        responses: {
            /** @description Cancelled. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActionResult"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run for this tenant (other tenants' runs are not found either). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The run is completed. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resumeRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id as returned by POST /v1/runs. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Resume requested. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActionResult"];
                };
            };
            /** @description Invalid id, query or body: `details.issues` lists every problem. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or unknown API key. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run for this tenant (other tenants' runs are not found either). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The run is running or completed. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description running_runs_limit_exceeded (a resumed run needs a running-runs slot; Retry-After 30 s) or rate_limit_exceeded. */
            429: {
                headers: {
                    "Retry-After": components["headers"]["RetryAfter"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitError"];
                };
            };
            /** @description Internal error (logged with the request id). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getLiveness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/health+json": components["schemas"]["Health"];
                };
            };
            /** @description The request could not be taken (e.g. refused by the platform in front of the gateway); the common error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/health+json": components["schemas"]["Health"];
                };
            };
            /** @description A check failed; it is named in `checks`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/health+json": components["schemas"]["Health"];
                };
            };
            /** @description The request could not be taken (e.g. refused by the platform in front of the gateway); the common error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description The request could not be taken (e.g. refused by the platform in front of the gateway); the common error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
