ALTER TABLE "grants" ALTER COLUMN "cap_energy_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "grants" ALTER COLUMN "cap_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "invites" ALTER COLUMN "cap_energy_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "invites" ALTER COLUMN "cap_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "meter_samples" ALTER COLUMN "energy_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "refunds" ALTER COLUMN "amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "hold_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "energy_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "cost_total" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "captured_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "released_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "refunded_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "simulated_payments" ALTER COLUMN "amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "simulated_payments" ALTER COLUMN "amount_capturable" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "simulated_payments" ALTER COLUMN "amount_captured" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "simulated_payments" ALTER COLUMN "amount_refunded" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "tariffs" ALTER COLUMN "hold_amount" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "transactions" ALTER COLUMN "meter_start_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "transactions" ALTER COLUMN "meter_stop_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "transactions" ALTER COLUMN "last_energy_wh" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "intents" ADD COLUMN "not_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "charger_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "charger_stopped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "clock_skew_ms" bigint;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "stop_seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "capture_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "attention" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "stop_received_at" timestamp with time zone;