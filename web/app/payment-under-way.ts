import { ref } from 'vue'

/**
 * True while a payment is under way (a hold being placed, the charger not yet started): the
 * update banner waits, so code is never swapped under a driver mid-payment. Set by the payment
 * store; kept apart from it so the app shell does not load the payment code.
 */
export const paymentUnderWay = ref(false)
