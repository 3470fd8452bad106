CREATE TABLE "terminal_asks" (
	"reference" text PRIMARY KEY NOT NULL,
	"terminal_id" text NOT NULL,
	"provider" text NOT NULL,
	"connector_id" integer NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"asked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "terminal_asks" ADD CONSTRAINT "terminal_asks_terminal_id_payment_terminals_id_fk" FOREIGN KEY ("terminal_id") REFERENCES "public"."payment_terminals"("id") ON DELETE no action ON UPDATE no action;