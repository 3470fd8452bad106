ALTER TABLE "meter_samples" DROP CONSTRAINT "meter_samples_transaction_id_transactions_id_fk";
--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_transaction_id_transactions_id_fk";
--> statement-breakpoint
DROP INDEX "meter_samples_tx";--> statement-breakpoint
DROP INDEX "sessions_transaction";--> statement-breakpoint
ALTER TABLE "chargers" ALTER COLUMN "password_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "meter_samples" ALTER COLUMN "transaction_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "chargers" ADD COLUMN "gateway" text DEFAULT 'ocpp' NOT NULL;--> statement-breakpoint
ALTER TABLE "meter_samples" ADD COLUMN "session_id" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "session_id" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "stop_told" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "meter_samples_session" ON "meter_samples" USING btree ("session_id","at");--> statement-breakpoint
CREATE INDEX "transactions_session" ON "transactions" USING btree ("session_id");--> statement-breakpoint
UPDATE "transactions" SET "session_id" = "sessions"."id" FROM "sessions" WHERE "sessions"."transaction_id" = "transactions"."id";--> statement-breakpoint
UPDATE "meter_samples" SET "session_id" = "transactions"."session_id", "energy_wh" = "meter_samples"."energy_wh" - "transactions"."meter_start_wh" FROM "transactions" WHERE "meter_samples"."transaction_id" = "transactions"."id";--> statement-breakpoint
UPDATE "transactions" SET "stop_told" = true WHERE "stopped_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" DROP COLUMN "transaction_id";