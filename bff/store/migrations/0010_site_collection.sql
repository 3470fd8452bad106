CREATE TABLE "collected_holds" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"site_id" text NOT NULL,
	"mode" text NOT NULL,
	"destination" text,
	"fee_bp" integer NOT NULL,
	"seller" jsonb NOT NULL,
	"fee_amount" bigint,
	"fee_refunded" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "collected_refunds" (
	"refund_id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"fee_refunded" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "site_collections" (
	"site_id" text PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"connected_account_id" text,
	"account_ready" boolean DEFAULT false NOT NULL,
	"own_secret_key" text,
	"own_publishable_key" text,
	"own_webhook_secret" text,
	"own_account_id" text,
	"fee_bp" integer DEFAULT 500 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "collected_holds" ADD CONSTRAINT "collected_holds_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collected_holds" ADD CONSTRAINT "collected_holds_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collected_refunds" ADD CONSTRAINT "collected_refunds_payment_id_collected_holds_payment_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."collected_holds"("payment_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_collections" ADD CONSTRAINT "site_collections_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "collected_holds_session" ON "collected_holds" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "collected_holds_site" ON "collected_holds" USING btree ("site_id","created_at");--> statement-breakpoint
CREATE INDEX "collected_refunds_payment" ON "collected_refunds" USING btree ("payment_id");