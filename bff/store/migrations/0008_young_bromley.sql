CREATE TABLE "payment_terminals" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"charger_id" text NOT NULL,
	"connector_ids" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "terminal_money_calls" (
	"key" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"action" text NOT NULL,
	"amount" integer,
	"done_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "terminal_payments" (
	"id" text PRIMARY KEY NOT NULL,
	"terminal_id" text NOT NULL,
	"provider" text NOT NULL,
	"connector_id" integer NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"session_id" text,
	"refusal" text,
	"card_brand" text,
	"card_last4" text,
	"receipt_token" text,
	"receipt_shown_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payment_terminals" ADD CONSTRAINT "payment_terminals_charger_id_chargers_id_fk" FOREIGN KEY ("charger_id") REFERENCES "public"."chargers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terminal_payments" ADD CONSTRAINT "terminal_payments_terminal_id_payment_terminals_id_fk" FOREIGN KEY ("terminal_id") REFERENCES "public"."payment_terminals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_terminals_charger" ON "payment_terminals" USING btree ("charger_id");--> statement-breakpoint
CREATE INDEX "terminal_payments_session" ON "terminal_payments" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "terminal_payments_terminal" ON "terminal_payments" USING btree ("terminal_id");